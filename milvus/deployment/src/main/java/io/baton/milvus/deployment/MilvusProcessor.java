package io.baton.milvus.deployment;

import io.baton.milvus.MilvusEndpoints;
import io.baton.milvus.MilvusHealthCheck;
import io.quarkus.arc.deployment.AdditionalBeanBuildItem;
import io.quarkus.deployment.Capabilities;
import io.quarkus.deployment.Capability;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.builditem.FeatureBuildItem;
import io.quarkus.smallrye.health.deployment.spi.HealthBuildItem;

/** Starts the Milvus endpoint monitor; registers the Milvus health group when the application has SmallRye Health. */
class MilvusProcessor {
  @BuildStep
  FeatureBuildItem feature() {
    return new FeatureBuildItem("baton-milvus");
  }

  /** The endpoint monitor: started with the application whether or not anything injects it. */
  @BuildStep
  AdditionalBeanBuildItem monitor() {
    return AdditionalBeanBuildItem.unremovableOf(MilvusEndpoints.class);
  }

  @BuildStep
  void checks(Capabilities capabilities, BuildProducer<HealthBuildItem> checks) {
    if (capabilities.isPresent(Capability.SMALLRYE_HEALTH)) {
      checks.produce(new HealthBuildItem(MilvusHealthCheck.class.getName(), true));
    }
  }
}
