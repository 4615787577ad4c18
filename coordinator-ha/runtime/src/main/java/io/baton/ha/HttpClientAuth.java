package io.baton.ha;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Applies {@code baton.http.client-auth} to the HTTPS server of the node's HTTP port (Baton's gRPC
 * API when it shares the HTTP server, status, health) when the server starts: Quarkus' own
 * {@code quarkus.http.ssl.client-auth} is fixed when the application is built, so a packaged
 * application could not otherwise require client certificates without being rebuilt. It stays
 * in force when Quarkus reloads the certificates.
 */
@Singleton
public class HttpClientAuth implements HttpServerOptionsCustomizer {
  private static final Logger LOG = Logger.getLogger(HttpClientAuth.class);

  @Inject
  BatonConfig config;

  @Override
  public void customizeHttpsServer(HttpServerOptions options) {
    config.http().clientAuth().ifPresent(mode -> {
      options.setClientAuth(mode);
      LOG.infof("node %s: baton.http.client-auth=%s set on the HTTPS server's options", config.nodeId(),
          mode.name().toLowerCase(java.util.Locale.ROOT));
    });
  }
}
