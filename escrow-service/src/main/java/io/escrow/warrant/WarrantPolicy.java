package io.escrow.warrant;

import io.escrow.config.ConfigurationException;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The authorities that must all approve a warrant ({@code escrow.warrant.policy}, default: every
 * configured authority). Never empty: a policy nobody has to sign would activate every warrant.
 */
public record WarrantPolicy(SortedSet<String> required) {
    public WarrantPolicy {
        if (required.isEmpty()) {
            throw new ConfigurationException("escrow.warrant.policy must name at least one authority");
        }
        required = new TreeSet<>(required);
    }

    /** The policy from its configured value (comma-separated names), checked against the configured authorities. */
    public static WarrantPolicy of(String configured, Collection<String> authorities) {
        Set<String> names = new LinkedHashSet<>();
        if (configured == null || configured.isBlank()) {
            names.addAll(authorities);
        } else {
            for (String n : configured.split(",")) {
                if (!n.isBlank()) {
                    names.add(n.strip());
                }
            }
        }
        for (String n : names) {
            if (!authorities.contains(n)) {
                throw new ConfigurationException("escrow.warrant.policy names '" + n + "', which is not a configured authority "
                        + "(configured: " + new TreeSet<>(authorities) + ")");
            }
        }
        if (names.isEmpty()) {
            throw new ConfigurationException("no authority is configured: set escrow.authorities.<name>.trust-anchor");
        }
        return new WarrantPolicy(new TreeSet<>(names));
    }

    public boolean isMetBy(List<Approval> approvals) {
        return missing(approvals).isEmpty();
    }

    /** Required authorities that have not approved yet, in name order. */
    public List<String> missing(List<Approval> approvals) {
        Set<String> have = new TreeSet<>();
        approvals.forEach(a -> have.add(a.authority()));
        return required.stream().filter(r -> !have.contains(r)).toList();
    }
}
