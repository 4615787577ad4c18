package io.baton.ha;

import java.util.Map;

/**
 * A part of the node status that the application or another extension adds: a CDI bean
 * implementing this appears in {@code GET /baton/status} as {@code "sections":{"<name>":{...}}}
 * and in the gRPC {@code StatusResponse.sections}. For what a role records (e.g. the state of the
 * external systems it watches). {@link #entries()} is called for every status request: keep it
 * cheap (read memory, never the network). [Implementations must be thread-safe]
 */
public interface StatusSection {
  /** The section's name: letters, digits, '-', '_' and '.'; unique per node. */
  String name();

  /** The section's entries now, in the order to show them. */
  Map<String, String> entries();
}
