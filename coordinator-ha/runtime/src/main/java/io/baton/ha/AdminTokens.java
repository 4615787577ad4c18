package io.baton.ha;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The tokens of a token file ({@code baton.admin.token-file}) and the admin operations each
 * grants. One token per line, {@code name operations token}, separated by spaces:
 *
 * <pre>
 * # name    operations                   token (at least 16 characters)
 * ops       *                            6f1d0c0e7b6a4f0e9d2c
 * backups   backup                       0b7e51d3a2c94e7f8a11
 * deployer  transfer,peer-add,peer-remove 93c0e4d1b5a8467f9e2b
 * </pre>
 *
 * Empty lines and lines starting with {@code #} are ignored; {@code *} grants every operation.
 */
public final class AdminTokens {
  /** The shortest token accepted: shorter ones are guessable. */
  public static final int MIN_TOKEN_LENGTH = 16;

  /** One token: its name (in logs, never the token itself) and what it may do. */
  public record Grant(String name, Set<AdminOperation> operations) {
    public boolean allows(AdminOperation op) {
      return operations.contains(op);
    }
  }

  private record Entry(byte[] token, Grant grant) {
  }

  private final List<Entry> entries;

  private AdminTokens(List<Entry> entries) {
    this.entries = entries;
  }

  /**
   * Reads a token file.
   *
   * @throws IllegalArgumentException naming the file and line of the first malformed entry, or the
   *     file when it cannot be read or holds no token
   */
  public static AdminTokens read(Path file) {
    try {
      return parse(file, Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read token file " + file + ": " + e, e);
    }
  }

  /**
   * The tokens of {@code text}, the content of {@code file}.
   *
   * @throws IllegalArgumentException naming the file and line of the first malformed entry, or the
   *     file when it holds no token
   */
  public static AdminTokens parse(Path file, String text) {
    final List<String> lines = text.lines().toList();
    final List<Entry> entries = new ArrayList<>();
    final Set<String> names = new HashSet<>();
    final Set<String> tokens = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      final String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      final String at = "token file " + file + " line " + (i + 1) + ": ";
      final String[] fields = line.split("\\s+");
      if (fields.length != 3) {
        throw new IllegalArgumentException(at + "expected 'name operations token' (3 fields), found " + fields.length);
      }
      final String name = fields[0];
      final String token = fields[2];
      if (!names.add(name)) {
        throw new IllegalArgumentException(at + "the name '" + name + "' is used twice");
      }
      if (token.length() < MIN_TOKEN_LENGTH) {
        throw new IllegalArgumentException(at + "the token of '" + name + "' has " + token.length()
            + " characters; use at least " + MIN_TOKEN_LENGTH);
      }
      if (!tokens.add(token)) {
        throw new IllegalArgumentException(at + "the token of '" + name + "' is also another name's token");
      }
      final Set<AdminOperation> ops = EnumSet.noneOf(AdminOperation.class);
      for (String op : fields[1].split(",")) {
        if (op.equals("*")) {
          ops.addAll(EnumSet.allOf(AdminOperation.class));
        } else {
          try {
            ops.add(AdminOperation.of(op));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + e.getMessage(), e);
          }
        }
      }
      entries.add(new Entry(token.getBytes(StandardCharsets.UTF_8), new Grant(name, Set.copyOf(ops))));
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("token file " + file + " holds no token (lines are 'name operations token')");
    }
    return new AdminTokens(List.copyOf(entries));
  }

  /** What {@code token} grants, if it is one of the file's tokens (compared in constant time). */
  public Optional<Grant> grantOf(String token) {
    final byte[] presented = token.getBytes(StandardCharsets.UTF_8);
    Grant found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(e.token, presented)) {
        found = e.grant;
      }
    }
    return Optional.ofNullable(found);
  }
}
