package io.baton.ha;

import io.baton.store.WatchEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A role handler that records its calls and, as a HOT standby, keeps the role state in a map. */
final class RecordingHandler implements RoleHandler {
  final String node;
  final List<String> calls = new CopyOnWriteArrayList<>();
  final List<RoleContext> activations = new CopyOnWriteArrayList<>();
  final RoleStateMirror state = new RoleStateMirror();
  volatile Map<String, String> stateAtActivation;

  RecordingHandler(String node) {
    this.node = node;
  }

  /** Epochs whose onActive threw (see {@link #failNextActivations}). */
  final List<Long> failedEpochs = new CopyOnWriteArrayList<>();
  private volatile java.util.concurrent.atomic.AtomicInteger failures;
  private volatile int failLimit;

  /** The next onActive calls throw while {@code shared} (counted across handlers) is below {@code limit}. */
  void failNextActivations(java.util.concurrent.atomic.AtomicInteger shared, int limit) {
    this.failLimit = limit;
    this.failures = shared;
  }

  @Override
  public void onActive(RoleContext context) {
    final java.util.concurrent.atomic.AtomicInteger f = failures;
    if (f != null && f.getAndUpdate(n -> n < failLimit ? n + 1 : n) < failLimit) {
      failedEpochs.add(context.epoch());
      calls.add("failed");
      throw new IllegalStateException("onActive of epoch " + context.epoch() + " fails on purpose");
    }
    stateAtActivation = state.asStrings();
    activations.add(context);
    calls.add("active:" + context.epoch());
  }

  @Override
  public void onStandby(String role, String activeNode) {
    calls.add("standby");
  }

  @Override
  public void onStateChange(WatchEvent event) {
    state.apply(event);
  }

  @Override
  public void onStateReset() {
    state.reset();
  }

  final List<MemberTransition> members = new CopyOnWriteArrayList<>();

  @Override
  public void onMemberChange(MemberTransition transition) {
    members.add(transition);
  }

  RoleContext current() {
    return activations.isEmpty() ? null : activations.get(activations.size() - 1);
  }

  boolean isActive() {
    final RoleContext c = current();
    return c != null && !c.lost().toCompletableFuture().isDone();
  }
}
