package io.baton.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/** Baton's liveness, readiness and startup checks (see {@link NodeHealth} for what each means). */
public final class BatonChecks {
  private BatonChecks() {
  }

  /** {@code /q/health/live}: the node's own machinery works. */
  @Liveness
  @ApplicationScoped
  public static class Live implements HealthCheck {
    @Inject
    BatonHealth health;

    @Override
    public HealthCheckResponse call() {
      return health.node().liveness();
    }
  }

  /** {@code /q/health/ready}: joined, a leader known, the replica caught up, the rehearsal over. */
  @Readiness
  @ApplicationScoped
  public static class Ready implements HealthCheck {
    @Inject
    BatonHealth health;

    @Override
    public HealthCheckResponse call() {
      return health.node().readiness();
    }
  }

  /** {@code /q/health/started}: storage opened, snapshot restored, log replayed. */
  @Startup
  @ApplicationScoped
  public static class Started implements HealthCheck {
    @Inject
    BatonHealth health;

    @Override
    public HealthCheckResponse call() {
      return health.node().startup();
    }
  }
}
