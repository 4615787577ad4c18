package io.baton.health.deployment;

import io.baton.health.BatonChecks;
import io.baton.health.BatonHealth;
import io.baton.health.BatonMetrics;
import io.quarkus.arc.deployment.AdditionalBeanBuildItem;
import io.quarkus.deployment.Capabilities;
import io.quarkus.deployment.Capability;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.builditem.FeatureBuildItem;
import io.quarkus.smallrye.health.deployment.spi.HealthBuildItem;

/** Registers Baton's health checks and metrics, each only when the application has SmallRye Health or Micrometer (capability io.quarkus.metrics). */
class BatonHealthProcessor {
  @BuildStep
  FeatureBuildItem feature() {
    return new FeatureBuildItem("baton-health");
  }

  @BuildStep
  void checks(Capabilities capabilities, BuildProducer<HealthBuildItem> checks,
      BuildProducer<AdditionalBeanBuildItem> beans) {
    if (!capabilities.isPresent(Capability.SMALLRYE_HEALTH)) {
      return; // nothing of this module is registered: no SmallRye Health, no checks
    }
    beans.produce(AdditionalBeanBuildItem.builder().addBeanClasses(BatonHealth.class).setUnremovable().build());
    for (Class<?> check : new Class<?>[] {BatonChecks.Live.class, BatonChecks.Ready.class, BatonChecks.Started.class}) {
      checks.produce(new HealthBuildItem(check.getName(), true));
    }
  }

  @BuildStep
  void metrics(Capabilities capabilities, BuildProducer<AdditionalBeanBuildItem> beans) {
    if (capabilities.isPresent(Capability.METRICS)) {
      beans.produce(AdditionalBeanBuildItem.builder().addBeanClasses(BatonMetrics.class).setUnremovable().build());
    }
  }
}
