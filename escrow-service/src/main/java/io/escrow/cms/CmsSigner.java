package io.escrow.cms;

import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Makes contract §1 approvals: detached DER CMS SignedData with the signer certificate (and any
 * intermediates) included and a signingTime attribute, the same shape {@code openssl cms -sign
 * -binary -outform DER} produces. The private key may live in a PKCS#11 token: then {@code
 * keyProvider} is that token's provider and the key never leaves it.
 */
public final class CmsSigner {
    private CmsSigner() {}

    public static byte[] signDetached(byte[] content, PrivateKey key, Provider keyProvider, List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("the signer certificate is required");
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new IllegalArgumentException("unsupported signing key type " + key.getAlgorithm() + " (EC or RSA)");
        };
        try {
            JcaContentSignerBuilder signer = new JcaContentSignerBuilder(algorithm);
            if (keyProvider != null) {
                signer.setProvider(keyProvider);
            }
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(signer.build(key), chain.get(0)));
            gen.addCertificates(new JcaCertStore(chain));
            return gen.generate(new CMSProcessableByteArray(content), false).getEncoded();
        } catch (OperatorCreationException | CMSException | CertificateEncodingException | java.io.IOException e) {
            throw new IllegalStateException("CMS signing failed: " + e.getMessage(), e);
        }
    }
}
