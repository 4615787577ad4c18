package io.baton.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority and the certificates it issues, made at test time (EC P-256) and written
 * as PEM files, for tests of TLS: node certificates valid for given hosts, client certificates,
 * certificates of another CA, expired ones. Needs {@code org.bouncycastle:bcpkix-jdk18on} on the
 * test class path.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private TestCertificates() {
  }

  /** A new self-signed CA named {@code name}, valid from an hour ago for a day. */
  public static Authority authority(String name) {
    final KeyPair keys = newKeys();
    final X500Name subject = new X500Name("CN=" + name);
    final Instant now = Instant.now();
    try {
      final X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new Authority(name, keys, sign(b, keys));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A certificate and its private key. */
  public record Issued(X509Certificate certificate, KeyPair keys) {
    /** Writes {@code <name>.crt} and {@code <name>.key} (PKCS#8) into {@code dir}; returns the certificate's path. */
    public Path write(Path dir, String name) {
      writePem(dir.resolve(name + ".key"), pkcs8Pem(keys));
      return writePem(dir.resolve(name + ".crt"), pem(certificate));
    }
  }

  /** A CA: issues certificates signed by its key. */
  public static final class Authority {
    private final String name;
    private final KeyPair keys;
    private final X509Certificate certificate;

    private Authority(String name, KeyPair keys, X509Certificate certificate) {
      this.name = name;
      this.keys = keys;
      this.certificate = certificate;
    }

    public X509Certificate certificate() {
      return certificate;
    }

    /** Writes the CA's certificate to {@code file} (PEM). */
    public Path writeCertificate(Path file) {
      return writePem(file, pem(certificate));
    }

    /**
     * A certificate for {@code commonName}, for TLS servers and clients, naming {@code hosts} (IP
     * addresses or DNS names) as subject alternative names, valid from an hour ago for a day.
     */
    public Issued issue(String commonName, List<String> hosts) {
      final Instant now = Instant.now();
      return issue(commonName, hosts, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
    }

    /** A certificate as {@link #issue(String, List)}, valid from {@code notBefore} to {@code notAfter}. */
    public Issued issue(String commonName, List<String> hosts, Instant notBefore, Instant notAfter) {
      final KeyPair subjectKeys = newKeys();
      try {
        final List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
          names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, host) : new GeneralName(GeneralName.dNSName, host));
        }
        final X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + name),
            serial(), Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + commonName), subjectKeys.getPublic())
            .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
            .addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        if (!names.isEmpty()) {
          b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
        }
        return new Issued(sign(b, keys), subjectKeys);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static boolean isAddress(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }

  private static KeyPair newKeys() {
    try {
      final KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuer) {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(Object object) {
    final StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static Path writePem(Path file, String pem) {
    try {
      return Files.writeString(file, pem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** PKCS#8 PEM ("BEGIN PRIVATE KEY") of a key pair's private key. */
  private static String pkcs8Pem(KeyPair keys) {
    try {
      return pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate());
    } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IllegalStateException(e);
    }
  }
}
