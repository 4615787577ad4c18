package io.baton.testkit;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd cluster for a test class ({@code @RegisterExtension static}): started before its
 * tests, stopped and deleted after them whatever happened (see {@link LocalEtcdCluster}).
 */
public final class EtcdCluster implements BeforeAllCallback, AfterAllCallback {
  private final LocalEtcdCluster cluster;

  public EtcdCluster(int size) {
    this.cluster = new LocalEtcdCluster(size);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    cluster.start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    cluster.close();
  }

  public List<String> endpoints() {
    return cluster.endpoints();
  }

  public List<String> members() {
    return cluster.members();
  }

  public void start(String name) throws IOException {
    cluster.start(name);
  }

  public void kill(String name) throws InterruptedException {
    cluster.kill(name);
  }

  public void pause(String name) throws IOException, InterruptedException {
    cluster.pause(name);
  }

  public void resume(String name) throws IOException, InterruptedException {
    cluster.resume(name);
  }
}
