package io.baton.store;

/**
 * The outcome of a committed {@link Txn}.
 *
 * @param succeeded whether every compare held (and so every op was applied)
 * @param revision  the store revision after the transaction (unchanged when nothing was written)
 */
public record TxnResult(boolean succeeded, long revision) {
}
