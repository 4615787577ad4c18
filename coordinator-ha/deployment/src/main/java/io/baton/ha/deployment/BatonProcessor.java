package io.baton.ha.deployment;

import io.baton.ha.Baton;
import io.baton.ha.BatonGrpcService;
import io.baton.ha.BatonRole;
import io.quarkus.arc.deployment.AdditionalBeanBuildItem;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.builditem.AdditionalIndexedClassesBuildItem;
import io.quarkus.deployment.builditem.FeatureBuildItem;

/** Build steps of the Baton extension: the feature, its lifecycle bean and its role qualifier. */
class BatonProcessor {
  private static final String FEATURE = "baton";

  @BuildStep
  FeatureBuildItem feature() {
    return new FeatureBuildItem(FEATURE);
  }

  /**
   * The lifecycle bean, the gRPC service (quarkus-grpc serves every {@code @GrpcService} bean), and
   * the role qualifier (it must be in the bean archive index to count as one).
   */
  @BuildStep
  AdditionalBeanBuildItem beans() {
    return AdditionalBeanBuildItem.builder().addBeanClasses(Baton.class, BatonGrpcService.class, BatonRole.class)
        .setUnremovable().build();
  }

  /** quarkus-grpc looks for services in the combined index, which holds only the application's classes otherwise. */
  @BuildStep
  AdditionalIndexedClassesBuildItem grpcService() {
    return new AdditionalIndexedClassesBuildItem(BatonGrpcService.class.getName());
  }
}
