package io.escrow.cms;

import java.time.Instant;

/**
 * A CMS signature that verified over the expected bytes and chains to the anchor of {@code name}.
 *
 * @param signer      the signer certificate's subject (RFC 2253)
 * @param signingTime the signed signingTime attribute, or the verification time when absent
 */
public record VerifiedSignature(String name, String signer, Instant signingTime, byte[] certificateSha256) {}
