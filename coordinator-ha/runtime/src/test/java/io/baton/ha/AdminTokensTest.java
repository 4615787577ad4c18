package io.baton.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokensTest {
  @TempDir
  Path dir;

  private Path file(String text) throws IOException {
    return Files.writeString(dir.resolve("tokens"), text);
  }

  @Test
  void grantsWhatEachLineNamesAndNothingToAnUnknownToken() throws IOException {
    final AdminTokens tokens = AdminTokens.read(file("""
        # name operations token
        ops      *                       aaaaaaaaaaaaaaaa1

        backups  backup                  bbbbbbbbbbbbbbbb2
        deployer transfer,peer-add,peer-remove  cccccccccccccccc3
        """));
    assertThat(tokens.grantOf("aaaaaaaaaaaaaaaa1")).hasValueSatisfying(g -> {
      assertThat(g.name()).isEqualTo("ops");
      assertThat(g.operations()).isEqualTo(EnumSet.allOf(AdminOperation.class));
    });
    assertThat(tokens.grantOf("bbbbbbbbbbbbbbbb2")).hasValueSatisfying(g ->
        assertThat(g.operations()).isEqualTo(Set.of(AdminOperation.BACKUP)));
    assertThat(tokens.grantOf("cccccccccccccccc3")).hasValueSatisfying(g -> {
      assertThat(g.allows(AdminOperation.TRANSFER)).isTrue();
      assertThat(g.allows(AdminOperation.BACKUP)).isFalse();
    });
    assertThat(tokens.grantOf("bbbbbbbbbbbbbbbb")).isEmpty();
    assertThat(tokens.grantOf("")).isEmpty();
  }

  @Test
  void malformedFilesAreRefusedNamingFileAndLine() throws IOException {
    assertThatThrownBy(() -> AdminTokens.read(file("ops * aaaaaaaaaaaaaaaa extra\n")))
        .hasMessageContaining("line 1").hasMessageContaining("3 fields");
    assertThatThrownBy(() -> AdminTokens.read(file("# c\nops * short\n")))
        .hasMessageContaining("line 2").hasMessageContaining("at least 16");
    assertThatThrownBy(() -> AdminTokens.read(file("ops restore aaaaaaaaaaaaaaaa\n")))
        .hasMessageContaining("unknown admin operation 'restore'").hasMessageContaining("transfer, backup, peer-add, peer-remove");
    assertThatThrownBy(() -> AdminTokens.read(file("a * aaaaaaaaaaaaaaaa\na backup bbbbbbbbbbbbbbbb\n")))
        .hasMessageContaining("line 2").hasMessageContaining("'a' is used twice");
    assertThatThrownBy(() -> AdminTokens.read(file("a * aaaaaaaaaaaaaaaa\nb backup aaaaaaaaaaaaaaaa\n")))
        .hasMessageContaining("also another name's token");
    assertThatThrownBy(() -> AdminTokens.read(file("# nothing\n\n"))).hasMessageContaining("holds no token");
    assertThatThrownBy(() -> AdminTokens.read(dir.resolve("absent"))).hasMessageContaining("cannot read token file")
        .hasMessageContaining("absent");
  }

  @Test
  void onlyTheAdminMethodsOfBatonsServiceAreAdminOperations() {
    assertThat(AdminOperation.ofMethod("baton.v1.Baton/TransferRole")).contains(AdminOperation.TRANSFER);
    assertThat(AdminOperation.ofMethod("baton.v1.Baton/Backup")).contains(AdminOperation.BACKUP);
    assertThat(AdminOperation.ofMethod("baton.v1.Baton/AddPeer")).contains(AdminOperation.PEER_ADD);
    assertThat(AdminOperation.ofMethod("baton.v1.Baton/RemovePeer")).contains(AdminOperation.PEER_REMOVE);
    assertThat(AdminOperation.ofMethod("baton.v1.Baton/Put")).isEmpty();
    assertThat(AdminOperation.ofMethod("baton.v1.Baton/Peers")).isEmpty();
    assertThat(AdminOperation.ofMethod("other.Service/TransferRole")).isEmpty();
  }
}
