package io.baton.ha;

/** A member changed state; {@code silenceMillis} is how long it had been silent. */
public record MemberTransition(String member, MemberState from, MemberState to, long silenceMillis) {
}
