package io.baton.milvus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.baton.testkit.MilvusTestDouble;
import io.baton.testkit.ScriptedClock;
import io.milvus.shaded.io.grpc.Status;
import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.service.collection.request.LoadCollectionReq;
import io.milvus.v2.service.vector.request.InsertReq;
import io.milvus.v2.service.vector.request.SearchReq;
import io.milvus.v2.service.vector.request.data.FloatVec;
import io.milvus.v2.service.vector.response.SearchResp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The resilient client against three Milvus test doubles (real gRPC on loopback, the real
 * milvus-sdk-java client). Ejection times and backoffs run on a scripted clock; only the RPC
 * deadlines are real time (1 s: far above a healthy answer, far below the slow double's 3 s).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResilientMilvusClientTest {
  private static final String C = "docs";
  private final List<MilvusTestDouble> doubles = new ArrayList<>();
  private final ScriptedClock clock = new ScriptedClock();
  private final List<Duration> sleeps = new ArrayList<>();
  private ResilientMilvusClient client;

  @BeforeEach
  void start() {
    for (String name : List.of("m1", "m2", "m3")) {
      final MilvusTestDouble d = MilvusTestDouble.start(name).createCollection(C, 4);
      doubles.add(d);
      final MilvusClientV2 direct = new MilvusClientV2(ConnectConfig.builder().uri(d.uri()).build());
      try {
        direct.loadCollection(LoadCollectionReq.builder().collectionName(C).numReplicas(1).build());
        direct.insert(InsertReq.builder().collectionName(C).data(List.of(row(1), row(2), row(3))).build());
      } finally {
        direct.close();
      }
    }
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    doubles.forEach(MilvusTestDouble::close);
  }

  private ResilientMilvusClient.Builder builder(List<MilvusTestDouble> endpoints) {
    return ResilientMilvusClient.builder(endpoints.stream().map(MilvusTestDouble::uri).toList())
        .clock(clock)
        .sleeper(d -> {
          sleeps.add(d);
          clock.advance(d);
        })
        .random(() -> 0.5)
        .attemptTimeout(Duration.ofSeconds(1))
        .connectTimeout(Duration.ofSeconds(1));
  }

  private static JsonObject row(long id) {
    final JsonObject row = new JsonObject();
    row.addProperty("id", id);
    final JsonArray v = new JsonArray();
    for (int i = 0; i < 4; i++) {
      v.add(0.1f * i + id);
    }
    row.add("vector", v);
    return row;
  }

  private static SearchReq search() {
    return SearchReq.builder().collectionName(C).data(List.of(new FloatVec(new float[] {0.1f, 0.2f, 0.3f, 0.4f})))
        .limit(2).build();
  }

  private int calls(String rpc) {
    return doubles.stream().mapToInt(d -> d.calls(rpc)).sum();
  }

  @Test
  void searchesGoOnThroughOneKilledAndOneSlowEndpoint() {
    client = builder(doubles).build();
    doubles.get(0).stop();
    doubles.get(1).slow(Duration.ofSeconds(3));
    for (int i = 0; i < 12; i++) {
      final SearchResp resp = client.search(search());
      assertThat(resp.getSearchResults().get(0)).hasSize(2);
    }
    // at most half of three (one) is ejected: the killed or the slow one, whichever reached five errors first
    assertThat(client.endpointStates().values()).containsOnlyOnce("EJECTED");
    assertThat(client.endpointStates().get(doubles.get(2).uri())).isEqualTo("IN_ROTATION");
  }

  @Test
  void aFailingEndpointIsEjectedForAGrowingTimeAndReturnsAfterATrialCall() {
    client = builder(doubles.subList(0, 2)).outlierEjection(new OutlierEjection(3, Duration.ofSeconds(10), Duration.ofMinutes(1), 50)).build();
    final MilvusTestDouble bad = doubles.get(0);
    bad.failNext("Search", 100, Status.Code.UNAVAILABLE);
    for (int i = 0; i < 8; i++) {
      client.search(search());
    }
    assertThat(client.endpointStates().get(bad.uri())).isEqualTo("EJECTED");
    final int badCalls = bad.calls("Search");
    assertThat(badCalls).isEqualTo(3);
    for (int i = 0; i < 5; i++) {
      client.search(search());
    }
    assertThat(bad.calls("Search")).as("an ejected endpoint gets no calls").isEqualTo(badCalls);

    clock.advance(Duration.ofSeconds(10)); // first ejection over: one trial call, which fails: ejected for 20 s
    for (int i = 0; i < 4; i++) {
      client.search(search());
    }
    assertThat(bad.calls("Search")).isEqualTo(badCalls + 1);
    assertThat(client.endpointStates().get(bad.uri())).isEqualTo("EJECTED");
    clock.advance(Duration.ofSeconds(10));
    for (int i = 0; i < 4; i++) {
      client.search(search());
    }
    assertThat(bad.calls("Search")).as("the second ejection lasts twice as long").isEqualTo(badCalls + 1);

    bad.heal();
    clock.advance(Duration.ofSeconds(10));
    for (int i = 0; i < 4; i++) {
      client.search(search());
    }
    assertThat(client.endpointStates().get(bad.uri())).isEqualTo("IN_ROTATION");
  }

  @Test
  void aRejectedRequestIsNotRetriedAndDoesNotCountAgainstTheEndpoint() {
    client = builder(doubles).build();
    final MilvusCallException e = catchThrowableOfType(MilvusCallException.class,
        () -> client.search(SearchReq.builder().collectionName("missing").data(List.of(new FloatVec(new float[] {1, 2, 3, 4}))).limit(1).build()));
    assertThat(e.kind()).isEqualTo(MilvusErrors.Kind.REJECTED);
    assertThat(e.attempts()).isEqualTo(1);
    assertThat(e.getMessage()).contains("collection not found");
    assertThat(calls("Search")).isEqualTo(1);
    assertThat(client.endpointStates().values()).containsOnly("IN_ROTATION");
  }

  @Test
  void anInsertThatReachedAFailingEndpointIsNotRetriedAndSaysItsOutcomeIsUnknown() {
    client = builder(doubles.subList(0, 1)).build();
    final int before = doubles.get(0).calls("Insert");
    doubles.get(0).failNext("Insert", 1, Status.Code.UNAVAILABLE);
    final MilvusCallException e = catchThrowableOfType(MilvusCallException.class,
        () -> client.insert(InsertReq.builder().collectionName(C).data(List.of(row(11))).build()));
    assertThat(e.outcomeUnknown()).isTrue();
    assertThat(e.attempts()).isEqualTo(1);
    assertThat(e.getMessage()).contains("outcome unknown");
    assertThat(doubles.get(0).calls("Insert") - before).isEqualTo(1);
  }

  @Test
  void aThrottledInsertIsRetriedAfterABackoffBecauseMilvusDidNotApplyIt() {
    client = builder(doubles.subList(0, 1)).build();
    final int before = doubles.get(0).calls("Insert");
    doubles.get(0).rejectNext("Insert", 1, 8, "rate limit exceeded");
    client.insert(InsertReq.builder().collectionName(C).data(List.of(row(21))).build());
    assertThat(doubles.get(0).calls("Insert") - before).isEqualTo(2);
    assertThat(sleeps).hasSize(1);
    assertThat(sleeps.get(0)).isEqualTo(Duration.ofMillis(25)); // half (random 0.5) of the 50 ms base
  }

  @Test
  void anInsertIsSentElsewhereWhenItsEndpointCannotBeConnected() {
    doubles.get(0).stop();
    client = builder(doubles.subList(0, 2)).build();
    for (int i = 0; i < 2; i++) { // the round robin starts once at each endpoint
      client.insert(InsertReq.builder().collectionName(C).data(List.of(row(30 + i))).build());
    }
    assertThat(doubles.get(1).calls("Insert")).isEqualTo(1 + 2);
  }

  @Test
  void retriesStopWhenTheBudgetIsSpentAndResumeAsCallsSucceed() {
    client = builder(doubles.subList(0, 1)).retryBudget(10, 1.0).maxAttempts(5).build();
    final MilvusTestDouble only = doubles.get(0);
    only.rejectNext("Search", 1000, 8, "rate limit exceeded");
    final MilvusCallException first = catchThrowableOfType(MilvusCallException.class, () -> client.search(search()));
    assertThat(first.attempts()).isEqualTo(5);
    final MilvusCallException second = catchThrowableOfType(MilvusCallException.class, () -> client.search(search()));
    assertThat(second.attempts()).as("5 + 1 failures leave 4 of 10 tokens: no retry").isEqualTo(1);
    assertThat(second.getMessage()).contains("retry budget spent");
  }

  @Test
  void rejectedRequestsSpendNoRetryBudget() {
    client = builder(doubles.subList(0, 1)).retryBudget(10, 0.1).build();
    for (int i = 0; i < 20; i++) { // a caller sending bad requests again and again
      catchThrowableOfType(MilvusCallException.class, () -> client.search(SearchReq.builder().collectionName("missing")
          .data(List.of(new FloatVec(new float[] {1, 2, 3, 4}))).limit(1).build()));
    }
    doubles.get(0).rejectNext("Search", 2, 8, "rate limit exceeded");
    assertThat(client.search(search()).getSearchResults().get(0)).as("retries still allowed for everyone else").hasSize(2);
  }

  @Test
  void noRetryStartsAfterTheCallTimeout() {
    client = builder(doubles.subList(0, 1)).callTimeout(Duration.ofMillis(100)).maxAttempts(10).random(() -> 0.99)
        .backoff(Duration.ofMillis(40), Duration.ofSeconds(1)).build();
    doubles.get(0).rejectNext("Search", 1000, 8, "rate limit exceeded");
    final MilvusCallException e = catchThrowableOfType(MilvusCallException.class, () -> client.search(search()));
    // waits of ~40 and ~79 ms: the second would end past 100 ms
    assertThat(e.attempts()).isEqualTo(2);
    assertThat(e.getMessage()).contains("call timeout");
  }
}
