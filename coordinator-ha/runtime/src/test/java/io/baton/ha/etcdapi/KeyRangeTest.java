package io.baton.ha.etcdapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.baton.store.KeyValue;
import io.etcd.jetcd.api.Compare;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeyRangeTest {
  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static KeyValue kv(String key, String value, long create, long mod, long version) {
    return new KeyValue(key, value.getBytes(StandardCharsets.UTF_8), create, mod, version, 0);
  }

  @Test
  void prefixEndAsEtcdComputesIt() {
    assertThat(KeyRange.prefixEnd("abc".getBytes(StandardCharsets.UTF_8))).isEqualTo("abd".getBytes(StandardCharsets.UTF_8));
    assertThat(KeyRange.prefixEnd(new byte[] {'a', (byte) 0xff})).isEqualTo(new byte[] {'b'});
    assertThat(KeyRange.prefixEnd(new byte[] {(byte) 0xff, (byte) 0xff})).isEqualTo(new byte[] {0});
  }

  @Test
  void theFiveShapesOfAKeyRange() {
    assertThat(KeyRange.of(b("a"), ByteString.EMPTY)).isEqualTo(new KeyRange(KeyRange.Kind.SINGLE, "a", null));
    assertThat(KeyRange.of(b("app/"), b("app0"))).isEqualTo(new KeyRange(KeyRange.Kind.PREFIX, "app/", null));
    assertThat(KeyRange.of(EtcdApi.NUL, EtcdApi.NUL)).isEqualTo(new KeyRange(KeyRange.Kind.ALL, "", null));
    assertThat(KeyRange.of(b("m"), EtcdApi.NUL)).isEqualTo(new KeyRange(KeyRange.Kind.FROM, "m", null));
    final KeyRange range = KeyRange.of(b("app/a"), b("app/c"));
    assertThat(range).isEqualTo(new KeyRange(KeyRange.Kind.RANGE, "app/a", "app/c"));
    assertThat(range.readPrefix()).isEqualTo("app/");
    assertThat(range.contains("app/a")).isTrue();
    assertThat(range.contains("app/bz")).isTrue();
    assertThat(range.contains("app/c")).isFalse();
    assertThat(KeyRange.of(b("m"), EtcdApi.NUL).contains("z")).isTrue();
    assertThat(KeyRange.of(b("m"), EtcdApi.NUL).contains("a")).isFalse();
    assertThat(KeyRange.of(b("m"), EtcdApi.NUL).readPrefix()).isEmpty();
  }

  @Test
  void badRangesAreRefusedAsEtcdRefusesThem() {
    assertThatThrownBy(() -> KeyRange.of(ByteString.EMPTY, ByteString.EMPTY))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).isEqualTo("etcdserver: key is not provided");
        });
    assertThatThrownBy(() -> KeyRange.of(b("b"), b("a"))).isInstanceOf(StatusRuntimeException.class)
        .hasMessageContaining("is not after the key");
    assertThatThrownBy(() -> KeyRange.of(ByteString.copyFrom(new byte[] {(byte) 0xc3}), ByteString.EMPTY))
        .hasMessageContaining("UTF-8");
  }

  @Test
  void keysCompareAsUnsignedBytes() {
    assertThat(KeyRange.compare("a", "b")).isNegative();
    assertThat(KeyRange.compare("é", "z")).isPositive(); // 0xc3 after 'z' as bytes
    assertThat(KeyRange.compare("ab", "a")).isPositive();
  }

  @Test
  void comparesAsEtcdEvaluatesThem() {
    final KeyValue a = kv("a", "v2", 5, 9, 3);
    final Compare.Builder c = Compare.newBuilder().setKey(b("a"));
    assertThat(EtcdKvService.holds(c.clone().setTarget(Compare.CompareTarget.VALUE).setResult(Compare.CompareResult.EQUAL)
        .setValue(b("v2")).build(), a)).isTrue();
    assertThat(EtcdKvService.holds(c.clone().setTarget(Compare.CompareTarget.VALUE).setResult(Compare.CompareResult.GREATER)
        .setValue(b("v1")).build(), a)).isTrue();
    assertThat(EtcdKvService.holds(c.clone().setTarget(Compare.CompareTarget.VERSION).setResult(Compare.CompareResult.LESS)
        .setVersion(3).build(), a)).isFalse();
    assertThat(EtcdKvService.holds(c.clone().setTarget(Compare.CompareTarget.MOD).setResult(Compare.CompareResult.NOT_EQUAL)
        .setModRevision(8).build(), a)).isTrue();
    assertThat(EtcdKvService.holds(c.clone().setTarget(Compare.CompareTarget.CREATE).setResult(Compare.CompareResult.EQUAL)
        .setCreateRevision(5).build(), a)).isTrue();
    // an absent key: numbers are 0, and a value compare always fails (etcd cannot tell absent from empty otherwise)
    assertThat(EtcdKvService.holds(c.clone().setTarget(Compare.CompareTarget.CREATE).setResult(Compare.CompareResult.EQUAL)
        .setCreateRevision(0).build(), null)).isTrue();
    assertThat(EtcdKvService.holds(c.clone().setTarget(Compare.CompareTarget.VALUE).setResult(Compare.CompareResult.NOT_EQUAL)
        .setValue(b("x")).build(), null)).isFalse();
  }
}
