package io.baton.ha.deployment;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.devui.spi.page.Page;
import org.junit.jupiter.api.Test;

/** The Dev UI card's content (the build step runs in dev mode only, which this test does not start). */
class DevUiCardTest {
  @Test
  void theCardShowsTheNodeStatusJson() {
    final var card = new BatonProcessor().devUiCard();
    assertThat(card.getPages()).hasSize(1);
    final Page page = card.getPages().get(0).build();
    assertThat(page.getTitle()).isEqualTo("Node status");
    assertThat(page.getMetadata()).containsValue("/baton/status").containsValue("application/json");
  }
}
