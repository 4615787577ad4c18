package io.baton.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One key's state, as in etcd's KV: revisions are the store-wide revision of the write that
 * created or last modified the key; version counts modifications since creation.
 *
 * @param leaseId the lease the key is bound to, or 0
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version,
    long leaseId) {

  public String valueAsString() {
    return new String(value, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyValue kv && key.equals(kv.key) && Arrays.equals(value, kv.value)
        && createRevision == kv.createRevision && modRevision == kv.modRevision
        && version == kv.version && leaseId == kv.leaseId;
  }

  @Override
  public int hashCode() {
    return key.hashCode() * 31 + Arrays.hashCode(value) + Long.hashCode(modRevision);
  }

  @Override
  public String toString() {
    return key + "@" + modRevision + "(v" + version + ", " + value.length + " bytes"
        + (leaseId != 0 ? ", lease " + leaseId : "") + ")";
  }
}
