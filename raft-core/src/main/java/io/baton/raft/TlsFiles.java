package io.baton.raft;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's side of mutual TLS as three PEM files: its certificate (chain), its private key
 * (PKCS#8, {@code BEGIN PRIVATE KEY}, RSA, EC or Ed25519) and the CA certificate(s) it trusts.
 * Its key and trust managers present the certificate and accept only a chain that ends at one of
 * the CA certificates (and is valid now). Raft traffic uses it ({@link RaftNodeOptions#tls()}:
 * every peer connection and the node's own clients), as does the etcd backend's client. A TLS
 * client also checks that the server's certificate names the host it connects to (subject
 * alternative name, DNS or IP).
 *
 * <p>The files are read again when one of them changes (size or modification time, checked at
 * each handshake), so a renewed certificate or an added CA needs no restart: new connections use
 * them, connections already open keep the certificates they were opened with. A change that does
 * not load (a half-written file, a key that is not the certificate's) keeps the last good material
 * and is logged once. A refused certificate is logged at WARN with its subject, issuer and the
 * reason, once per ten seconds. [Thread-safe]
 */
public final class TlsFiles {
  private static final Logger LOG = LoggerFactory.getLogger(TlsFiles.class);
  private static final char[] NO_PASSWORD = new char[0];
  private static final int REFUSAL_LOG_SECONDS = 10;

  private final Path certificate;
  private final Path key;
  private final Path ca;
  private final WatchedFiles files;
  private final KeyManager keyManager = new KeyManager();
  private final TrustManager trustManager = new TrustManager();
  /** The material in force, and the one before it (a handshake may have chosen its alias from it). */
  private Material material;
  private Material previous;
  private int generation;
  private String lastProblem;
  private final java.util.Map<String, Long> refusalsLogged = new java.util.HashMap<>();

  /** What the three files held when last loaded; {@code alias} names its key entry. */
  private record Material(String alias, X509ExtendedKeyManager keys, X509ExtendedTrustManager trust,
      X509Certificate leaf) {
  }

  private TlsFiles(Path certificate, Path key, Path ca) {
    this.certificate = Objects.requireNonNull(certificate, "certificate");
    this.key = Objects.requireNonNull(key, "key");
    this.ca = Objects.requireNonNull(ca, "ca");
    this.files = new WatchedFiles(List.of(certificate, key, ca));
    try {
      this.material = load(files.changes().orElseThrow());
    } catch (IOException e) {
      throw new IllegalArgumentException("TLS: cannot read " + e.getMessage(), e);
    }
  }

  /**
   * Reads the three PEM files.
   *
   * @throws IllegalArgumentException naming the file that is missing or does not hold what it should
   */
  public static TlsFiles of(Path certificate, Path key, Path ca) {
    return new TlsFiles(certificate, key, ca);
  }

  public Path certificate() {
    return certificate;
  }

  public Path key() {
    return key;
  }

  public Path ca() {
    return ca;
  }

  /** The key manager to hand to TLS: it presents this node's current certificate. */
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  /** The trust manager to hand to TLS: it accepts chains ending at the current CA file's certificates. */
  public X509ExtendedTrustManager trustManager() {
    return trustManager;
  }

  /** The subject of the certificate presented now (the files are read again first if they changed). */
  public String subject() {
    return current().leaf.getSubjectX500Principal().getName();
  }

  /** The material in force, loaded again first when a file's content changed. */
  private synchronized Material current() {
    try {
      final Optional<List<byte[]>> changed = files.changes();
      if (changed.isPresent()) {
        final Material loaded = load(changed.get());
        previous = material;
        material = loaded;
        lastProblem = null;
        LOG.info("TLS: read {} again, presenting {}", certificate, material.leaf.getSubjectX500Principal());
      }
    } catch (IOException | IllegalArgumentException e) {
      final String problem = String.valueOf(e.getMessage());
      if (!problem.equals(lastProblem)) {
        lastProblem = problem;
        LOG.error("TLS: the changed files do not load, keeping the previous certificate and CA: {}", problem);
      }
    }
    return material;
  }

  /** The material whose key entry is {@code alias}: the one in force or the one before it. */
  private synchronized Material byAlias(String alias) {
    if (previous != null && previous.alias.equals(alias)) {
      return previous;
    }
    return material;
  }

  private Material load(List<byte[]> contents) {
    try {
      final List<X509Certificate> chain = certificates(contents.get(0), certificate);
      final PrivateKey privateKey = privateKey(contents.get(1), key);
      final List<X509Certificate> authorities = certificates(contents.get(2), ca);
      checkKeyPair(privateKey, chain.get(0));
      final String alias = "node-" + (++generation);
      final KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry(alias, privateKey, NO_PASSWORD, chain.toArray(new X509Certificate[0]));
      final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, NO_PASSWORD);
      final KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      for (int i = 0; i < authorities.size(); i++) {
        trusted.setCertificateEntry("ca-" + i, authorities.get(i));
      }
      final TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trusted);
      return new Material(alias, (X509ExtendedKeyManager) kmf.getKeyManagers()[0],
          (X509ExtendedTrustManager) tmf.getTrustManagers()[0], chain.get(0));
    } catch (IOException e) {
      throw new IllegalArgumentException("TLS: cannot read " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("TLS: the key " + key + " and certificate " + certificate
          + " do not make a key pair: " + e.getMessage(), e);
    }
  }

  /** Whether {@code leaf}'s public key verifies what {@code privateKey} signs: a key of another certificate fails. */
  private static void checkKeyPair(PrivateKey privateKey, X509Certificate leaf) throws GeneralSecurityException {
    final String algorithm = switch (privateKey.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> privateKey.getAlgorithm();
    };
    final byte[] probe = "baton TLS key check".getBytes(StandardCharsets.US_ASCII);
    final Signature signer = Signature.getInstance(algorithm);
    signer.initSign(privateKey);
    signer.update(probe);
    final byte[] signature = signer.sign();
    final Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(leaf.getPublicKey());
    verifier.update(probe);
    if (!verifier.verify(signature)) {
      throw new java.security.InvalidKeyException("the private key is not the certificate's");
    }
  }

  private static List<X509Certificate> certificates(byte[] pem, Path file) {
    try {
      final List<X509Certificate> out = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new java.io.ByteArrayInputStream(pem))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException("TLS: " + file + " holds no PEM certificate");
      }
      return out;
    } catch (CertificateException e) {
      throw new IllegalArgumentException("TLS: " + file + " does not hold PEM certificates: " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(byte[] bytes, Path file) {
    final String pem = new String(bytes, StandardCharsets.US_ASCII);
    final String begin = "-----BEGIN PRIVATE KEY-----";
    final int start = pem.indexOf(begin);
    final int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("TLS: " + file + " holds no PKCS#8 private key ('" + begin + "')"
          + (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")
              ? "; convert it with: openssl pkcs8 -topk8 -nocrypt -in " + file : ""));
    }
    final byte[] der = Base64.getMimeDecoder().decode(pem.substring(start + begin.length(), end));
    for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException("TLS: " + file + " holds a private key that is not RSA, EC or Ed25519");
  }

  /** Presents the current certificate; delegates every choice to the material in force. */
  private final class KeyManager extends X509ExtendedKeyManager {
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return current().keys.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return current().keys.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return current().keys.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return current().keys.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return current().keys.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return current().keys.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return byAlias(alias).keys.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return byAlias(alias).keys.getPrivateKey(alias);
    }
  }

  /**
   * Logs a refused certificate once per subject and reason every {@value #REFUSAL_LOG_SECONDS} s (a
   * refused peer retries often), and rethrows.
   */
  private CertificateException refused(String side, X509Certificate[] chain, CertificateException e) {
    final String subject = chain == null || chain.length == 0 ? "(no certificate)"
        : chain[0].getSubjectX500Principal().getName() + " issued by " + chain[0].getIssuerX500Principal().getName();
    final String what = side + " " + subject + ": " + e.getMessage();
    final long now = System.nanoTime();
    synchronized (refusalsLogged) {
      final Long last = refusalsLogged.get(what);
      if (last == null || now - last > TimeUnit.SECONDS.toNanos(REFUSAL_LOG_SECONDS)) {
        if (refusalsLogged.size() > 1000) {
          refusalsLogged.clear();
        }
        refusalsLogged.put(what, now);
        LOG.warn("TLS: refused the certificate of a {}", what);
      }
    }
    return e;
  }

  /** One check of a chain by the trust manager in force. */
  private interface Check {
    void by(X509ExtendedTrustManager trust) throws CertificateException;
  }

  /** Runs {@code check} on the current CA file's trust manager; a refusal is logged (see {@link #refused}). */
  private void check(String side, X509Certificate[] chain, Check check) throws CertificateException {
    try {
      check.by(current().trust);
    } catch (CertificateException e) {
      throw refused(side, chain, e);
    }
  }

  /** Checks chains against the current CA file. */
  private final class TrustManager extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check("client", chain, t -> t.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check("server", chain, t -> t.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check("client", chain, t -> t.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check("server", chain, t -> t.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check("client", chain, t -> t.checkClientTrusted(chain, authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check("server", chain, t -> t.checkServerTrusted(chain, authType));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return current().trust.getAcceptedIssuers();
    }
  }
}
