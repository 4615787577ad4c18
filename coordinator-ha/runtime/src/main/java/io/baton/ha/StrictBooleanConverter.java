package io.baton.ha;

import org.eclipse.microprofile.config.spi.Converter;

/**
 * A boolean property that takes {@code true} or {@code false} (any case) and refuses anything
 * else. MicroProfile's own conversion reads every value it does not know as {@code false}, so a
 * typo would silently turn a feature off.
 */
public final class StrictBooleanConverter implements Converter<Boolean> {
  @Override
  public Boolean convert(String value) {
    final String v = value == null ? "" : value.trim();
    if (v.equalsIgnoreCase("true")) {
      return Boolean.TRUE;
    }
    if (v.equalsIgnoreCase("false")) {
      return Boolean.FALSE;
    }
    throw new IllegalArgumentException("'" + value + "' is not a boolean: use true or false");
  }
}
