package io.baton.ha.deployment;

import io.baton.ha.Baton;
import io.baton.ha.BatonGrpcService;
import io.baton.ha.etcdapi.EtcdApi;
import io.baton.ha.BatonRole;
import io.baton.ha.AdminAuthorization;
import io.baton.ha.HttpClientAuth;
import io.baton.ha.MalformedRequestInterceptor;
import io.baton.ha.StatusRoute;
import io.quarkus.arc.deployment.AdditionalBeanBuildItem;
import io.quarkus.deployment.annotations.BuildProducer;
import io.quarkus.deployment.IsDevelopment;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.builditem.AdditionalIndexedClassesBuildItem;
import io.quarkus.deployment.builditem.FeatureBuildItem;
import io.quarkus.deployment.builditem.RunTimeConfigurationDefaultBuildItem;
import io.quarkus.deployment.builditem.nativeimage.ReflectiveClassBuildItem;
import io.quarkus.deployment.builditem.nativeimage.RuntimeInitializedPackageBuildItem;
import io.quarkus.deployment.builditem.nativeimage.ServiceProviderBuildItem;
import io.quarkus.devui.spi.page.CardPageBuildItem;
import io.quarkus.devui.spi.page.Page;
import java.util.List;

/** Build steps of the Baton extension: the feature, its lifecycle bean and its role qualifier. */
class BatonProcessor {
  private static final String FEATURE = "baton";

  @BuildStep
  FeatureBuildItem feature() {
    return new FeatureBuildItem(FEATURE);
  }

  /**
   * The lifecycle bean, the {@code /baton/status} route, the gRPC service (quarkus-grpc serves every
   * {@code @GrpcService} bean), and the role qualifier (it must be in the bean archive index to count
   * as one).
   */
  /**
   * The extension's Dev UI card (dev mode only): the node status as served at
   * {@code /baton/status}, i.e. this node's roles with their states, epochs and active nodes, the
   * members and their states, and the Raft term, leader and indexes.
   */
  @BuildStep(onlyIf = IsDevelopment.class)
  CardPageBuildItem devUiCard() {
    final CardPageBuildItem card = new CardPageBuildItem();
    card.addPage(Page.externalPageBuilder("Node status").icon("font-awesome-solid:people-arrows")
        .url(StatusRoute.PATH, StatusRoute.PATH).isJsonContent());
    return card;
  }

  @BuildStep
  AdditionalBeanBuildItem beans() {
    final AdditionalBeanBuildItem.Builder b = AdditionalBeanBuildItem.builder()
        .addBeanClasses(Baton.class, StatusRoute.class, BatonGrpcService.class, BatonRole.class, EtcdApi.class,
            MalformedRequestInterceptor.class, AdminAuthorization.class, HttpClientAuth.class);
    EtcdApi.SERVICES.forEach(service -> b.addBeanClass(service));
    return b.setUnremovable().build();
  }

  /**
   * gRPC defaults that serve Baton's API as documented (each can be overridden): an inbound limit
   * above the store's own (the Vert.x gRPC server on the HTTP port refuses anything over 256 KiB
   * otherwise, without a message), and server reflection, so that generic tools discover the API.
   */
  @BuildStep
  void grpcDefaults(BuildProducer<RunTimeConfigurationDefaultBuildItem> defaults) {
    defaults.produce(new RunTimeConfigurationDefaultBuildItem("quarkus.grpc.server.max-inbound-message-size",
        String.valueOf(BatonGrpcService.MAX_INBOUND_MESSAGE_BYTES)));
    defaults.produce(new RunTimeConfigurationDefaultBuildItem("quarkus.grpc.server.enable-reflection-service", "true"));
  }

  /**
   * quarkus-grpc looks for services in the combined index, which holds only the application's
   * classes otherwise: Baton's API, the etcd v3 services with their generated bases (from
   * jetcd-grpc, not indexed by itself), and the global interceptor for malformed requests.
   */
  @BuildStep
  AdditionalIndexedClassesBuildItem grpcService() {
    final List<String> classes = new java.util.ArrayList<>(List.of(BatonGrpcService.class.getName(),
        MalformedRequestInterceptor.class.getName(), AdminAuthorization.class.getName()));
    for (Class<?> service : EtcdApi.SERVICES) {
      classes.add(service.getName());
      classes.add(service.getSuperclass().getName());
    }
    return new AdditionalIndexedClassesBuildItem(classes.toArray(String[]::new));
  }

  /**
   * Native image (UNVERIFIED: no GraalVM or Mandrel on the machines this was written on). What
   * Ratis loads reflectively (its RPC factory by class name, its metrics implementation through
   * the ServiceLoader), and its shaded Netty initialized at run time as Quarkus does for Netty.
   */
  @BuildStep
  void nativeImage(BuildProducer<ReflectiveClassBuildItem> reflective, BuildProducer<ServiceProviderBuildItem> services,
      BuildProducer<RuntimeInitializedPackageBuildItem> runtimeInit) {
    reflective.produce(ReflectiveClassBuildItem.builder("org.apache.ratis.grpc.GrpcFactory",
        "org.apache.ratis.metrics.impl.MetricRegistriesImpl").constructors().methods().build());
    services.produce(new ServiceProviderBuildItem("org.apache.ratis.metrics.MetricRegistries",
        List.of("org.apache.ratis.metrics.impl.MetricRegistriesImpl")));
    for (String pkg : List.of("org.apache.ratis.thirdparty.io.netty", "org.apache.ratis.thirdparty.io.grpc.netty")) {
      runtimeInit.produce(new RuntimeInitializedPackageBuildItem(pkg));
    }
  }
}
