package io.baton.ha;

import io.baton.raft.WatchEvent;
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

  @Override
  public void onActive(RoleContext context) {
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
