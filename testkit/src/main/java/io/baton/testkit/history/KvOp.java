package io.baton.testkit.history;

/**
 * One operation on a key-value store, as a client saw it: what it asked ({@code put} of a value,
 * {@code get}) and what came back ({@code result}: the value read, null for an absent key; for a
 * put, its value again). {@code call} and {@code ret} are the client's monotonic times (nanos)
 * when it sent the request and got the answer; an operation whose outcome is unknown (a write
 * that timed out) has {@code ret = Long.MAX_VALUE}: it may have taken effect at any time after its
 * call.
 */
public record KvOp(int client, Kind kind, String key, String value, String result, long call, long ret) {
  public enum Kind { PUT, GET }

  public KvOp {
    if (ret < call) {
      throw new IllegalArgumentException("an operation returns after its call: " + call + " > " + ret);
    }
  }

  public boolean unknown() {
    return ret == Long.MAX_VALUE;
  }

  @Override
  public String toString() {
    return "client " + client + ": " + (kind == Kind.PUT ? "put(" + key + ", " + value + ")" : "get(" + key + ") -> " + result)
        + " [" + call + ", " + (unknown() ? "unknown" : ret) + "]";
  }
}
