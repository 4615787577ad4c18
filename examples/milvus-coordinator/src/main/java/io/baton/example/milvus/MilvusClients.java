package io.baton.example.milvus;

import io.baton.milvus.MilvusConfig;
import io.baton.milvus.ResilientMilvusClient;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;

/** The service's one {@link ResilientMilvusClient} over {@code baton.milvus.endpoints}, created on first use. */
@Singleton
public class MilvusClients {
  @Inject
  MilvusConfig config;

  private ResilientMilvusClient client;

  /** The client, or empty when no endpoint is configured. */
  public synchronized Optional<ResilientMilvusClient> client() {
    if (client == null) {
      final List<String> endpoints = config.endpoints().orElse(List.of()).stream().map(String::trim)
          .filter(s -> !s.isEmpty()).toList();
      if (endpoints.isEmpty()) {
        return Optional.empty();
      }
      client = ResilientMilvusClient.builder(endpoints).attemptTimeout(config.timeout()).connectTimeout(config.timeout()).build();
    }
    return Optional.of(client);
  }

  @PreDestroy
  synchronized void close() {
    if (client != null) {
      client.close();
    }
  }
}
