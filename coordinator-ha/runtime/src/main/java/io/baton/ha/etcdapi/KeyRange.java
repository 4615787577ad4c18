package io.baton.ha.etcdapi;

import com.google.protobuf.ByteString;
import io.baton.store.KeyValue;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The keys an etcd request names with {@code key} and {@code range_end}: one key (no range end),
 * a prefix (range end = the key with its last byte incremented), every key (both "\0"), every key
 * from {@code key} on (range end "\0"), or the keys in [key, range end). Keys compare as UTF-8
 * bytes, as in etcd.
 *
 * @param kind   which of the five
 * @param from   the key, or the prefix ("" for every key)
 * @param to     the exclusive end for {@link Kind#RANGE}, else null
 */
record KeyRange(Kind kind, String from, String to) {
  enum Kind { SINGLE, PREFIX, ALL, FROM, RANGE }

  static KeyRange of(ByteString key, ByteString rangeEnd) {
    if (rangeEnd.isEmpty()) {
      return new KeyRange(Kind.SINGLE, EtcdApi.key(key), null);
    }
    if (key.equals(EtcdApi.NUL) && rangeEnd.equals(EtcdApi.NUL)) {
      return new KeyRange(Kind.ALL, "", null);
    }
    if (rangeEnd.equals(EtcdApi.NUL)) {
      return new KeyRange(Kind.FROM, EtcdApi.key(key), null);
    }
    if (Arrays.equals(rangeEnd.toByteArray(), prefixEnd(key.toByteArray()))) {
      return new KeyRange(Kind.PREFIX, EtcdApi.key(key), null);
    }
    final String from = EtcdApi.key(key);
    final String to = EtcdApi.text(rangeEnd, "range end");
    if (compare(from, to) >= 0) {
      throw EtcdApi.etcdError(Status.INVALID_ARGUMENT, "the range end '" + to + "' is not after the key '" + from + "'");
    }
    return new KeyRange(Kind.RANGE, from, to);
  }

  /** etcd's prefix end: the last byte below 0xff incremented, what follows it dropped; none: "\0". */
  static byte[] prefixEnd(byte[] key) {
    for (int i = key.length - 1; i >= 0; i--) {
      if ((key[i] & 0xff) < 0xff) {
        final byte[] end = Arrays.copyOf(key, i + 1);
        end[i]++;
        return end;
      }
    }
    return new byte[] {0};
  }

  /** The prefix to read so that every key of this range is among the results. */
  String readPrefix() {
    return switch (kind) {
      case SINGLE, PREFIX -> from;
      case ALL, FROM -> "";
      case RANGE -> commonPrefix(from, to);
    };
  }

  boolean contains(String key) {
    return switch (kind) {
      case SINGLE -> key.equals(from);
      case PREFIX -> key.startsWith(from);
      case ALL -> true;
      case FROM -> compare(key, from) >= 0;
      case RANGE -> compare(key, from) >= 0 && compare(key, to) < 0;
    };
  }

  boolean contains(KeyValue kv) {
    return contains(kv.key());
  }

  private static String commonPrefix(String a, String b) {
    int i = 0;
    while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
      i++;
    }
    return a.substring(0, i);
  }

  /** Compares as UTF-8 bytes, unsigned (etcd's key order). */
  static int compare(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
