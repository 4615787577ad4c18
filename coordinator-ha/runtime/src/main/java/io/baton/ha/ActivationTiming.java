package io.baton.ha;

import java.time.Duration;

/**
 * How long one activation took on this node; also fired as a CDI event after each activation.
 *
 * @param activation from the check that confirmed the epoch to the handler's {@code onActive}
 *                   returning: the HOT catch-up or the WARM load
 * @param takeover   from the first check on this node that saw the role without an active node
 *                   (for the leader placement: once this node learned the Raft leader was gone,
 *                   i.e. after the failure detection of the election timeout) to {@code onActive}
 *                   returning; equal to {@code activation} when no vacancy was seen
 */
public record ActivationTiming(String role, String node, long epoch, Duration activation, Duration takeover) {
}
