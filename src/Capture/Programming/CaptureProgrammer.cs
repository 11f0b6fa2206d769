using System.Collections.Immutable;
using IstioPodNetwork.Capture.Processes;
using IstioPodNetwork.Capture.Rules;
using IstioPodNetwork.Capture.Spec;

namespace IstioPodNetwork.Capture.Programming;

/// <summary>Applies, verifies and removes a pod's rules inside its network namespace.</summary>
public interface ICaptureProgrammer
{
    /// <summary>Makes our rules in the netns exactly <paramref name="rules"/>, in at most one atomic iptables-restore per family; foreign rules survive.</summary>
    Task<ApplyOutcome> ApplyAsync(string networkNamespace, RuleSet rules, CancellationToken cancellationToken);

    /// <summary>Reads the rules back and reports each missing and each unexpected rule of ours.</summary>
    Task<VerifyResult> VerifyAsync(string networkNamespace, RuleSet rules, CancellationToken cancellationToken);

    /// <summary>Removes our rules and chains (both families) and the TPROXY routes we added; foreign rules survive.</summary>
    Task<RemoveOutcome> RemoveAsync(string networkNamespace, CancellationToken cancellationToken);
}

/// <summary>
/// The iptables programmer. Per family and call it spends as few processes as it can, because process
/// starts are what programming a pod costs:
/// backend detection reads /proc/thread-self/net/ip_tables_names from inside the netns (no process);
/// a first apply tries the fresh-netns text (<c>-N</c> for each chain, so it changes nothing if any of
/// our chains exists) and reads state only if that is refused; a re-apply reads <c>iptables-save</c>
/// once and restores only if something differs.
/// </summary>
public sealed class CaptureProgrammer(IProcessRunner runner, INetnsProcFiles procFiles, IptablesTools tools, IptablesBackendChoice backendChoice)
    : ICaptureProgrammer
{
    private static readonly IpFamily[] BothFamilies = [IpFamily.IPv4, IpFamily.IPv6];
    private readonly PolicyRouting routing = new(runner, tools);

    public async Task<ApplyOutcome> ApplyAsync(string networkNamespace, RuleSet rules, CancellationToken cancellationToken)
    {
        var backend = IptablesBackend.Plain;
        var drift = ImmutableArray.CreateBuilder<RuleDifference>();
        var changed = false;
        foreach (var family in rules.Families)
        {
            var view = await DetectAsync(networkNamespace, family.Family, cancellationToken);
            if (view.Failure is not null)
            {
                return new ApplyOutcome.Failed(view.Failure);
            }

            backend = family.Family == IpFamily.IPv4 ? view.Backend : backend;
            var saved = view.Saved;
            if (saved is null)
            {
                var fresh = await RestoreAsync(networkNamespace, family.Family, view.Backend, family.ToRestoreText(), cancellationToken);
                if (fresh.Succeeded)
                {
                    changed = true;
                    continue;
                }

                // Refused: some chain of ours exists already (or the text is bad, which the reconcile below reports).
                var read = await SaveAsync(networkNamespace, family.Family, view.Backend, cancellationToken);
                if (read.Failure is not null)
                {
                    return new ApplyOutcome.Failed(read.Failure);
                }

                saved = read.Saved;
            }

            var reconciliation = Reconciliation.Of(family.Family, family, saved!);
            if (reconciliation.InSync)
            {
                continue;
            }

            var restored = await RestoreAsync(networkNamespace, family.Family, view.Backend, reconciliation.Transaction!, cancellationToken);
            if (!restored.Succeeded)
            {
                return new ApplyOutcome.Failed($"{Describe(view.Backend, family.Family)}-restore failed: {restored.Describe()}");
            }

            changed = true;
            if (reconciliation.HadOurRules)
            {
                drift.AddRange(reconciliation.Missing);
                drift.AddRange(reconciliation.Unexpected);
                drift.AddRange(reconciliation.Misordered);
            }
        }

        if (rules.NeedsTproxyRouting)
        {
            foreach (var family in rules.Families)
            {
                var missing = await routing.CheckAsync(networkNamespace, family.Family, cancellationToken);
                if ((missing.Failure ?? (missing.Missing.IsEmpty ? null : await routing.EnsureAsync(networkNamespace, family.Family, cancellationToken))) is { } failure)
                {
                    return new ApplyOutcome.Failed(failure);
                }

                changed |= !missing.Missing.IsEmpty;
            }
        }

        return drift.Count > 0 ? new ApplyOutcome.Repaired(backend, drift.ToImmutable())
            : changed ? new ApplyOutcome.Applied(backend)
            : new ApplyOutcome.Unchanged(backend);
    }

    public async Task<VerifyResult> VerifyAsync(string networkNamespace, RuleSet rules, CancellationToken cancellationToken)
    {
        var backend = IptablesBackend.Plain;
        var missing = ImmutableArray.CreateBuilder<RuleDifference>();
        var unexpected = ImmutableArray.CreateBuilder<RuleDifference>();
        var misordered = ImmutableArray.CreateBuilder<RuleDifference>();
        foreach (var family in rules.Families)
        {
            var view = await DetectAsync(networkNamespace, family.Family, cancellationToken);
            var state = view.Failure is null && view.Saved is null ? await SaveAsync(networkNamespace, family.Family, view.Backend, cancellationToken) : view;
            if ((view.Failure ?? state.Failure) is { } failure)
            {
                return new VerifyResult.Failed(failure);
            }

            backend = family.Family == IpFamily.IPv4 ? view.Backend : backend;
            var reconciliation = Reconciliation.Of(family.Family, family, state.Saved!);
            missing.AddRange(reconciliation.Missing);
            unexpected.AddRange(reconciliation.Unexpected);
            misordered.AddRange(reconciliation.Misordered);
            if (rules.NeedsTproxyRouting)
            {
                var routes = await routing.CheckAsync(networkNamespace, family.Family, cancellationToken);
                if (routes.Failure is not null)
                {
                    return new VerifyResult.Failed(routes.Failure);
                }

                missing.AddRange(routes.Missing);
            }
        }

        return new VerifyResult.Report(backend, missing.ToImmutable(), unexpected.ToImmutable(), misordered.ToImmutable());
    }

    public async Task<RemoveOutcome> RemoveAsync(string networkNamespace, CancellationToken cancellationToken)
    {
        var removed = ImmutableArray.CreateBuilder<RuleDifference>();
        foreach (var family in BothFamilies)
        {
            var view = await DetectAsync(networkNamespace, family, cancellationToken);
            var state = view.Failure is null && view.Saved is null ? await SaveAsync(networkNamespace, family, view.Backend, cancellationToken) : view;
            if ((view.Failure ?? state.Failure) is { } failure)
            {
                return new RemoveOutcome.Failed(failure);
            }

            var reconciliation = Reconciliation.Of(family, null, state.Saved!);
            if (!reconciliation.InSync)
            {
                var restored = await RestoreAsync(networkNamespace, family, view.Backend, reconciliation.Transaction!, cancellationToken);
                if (!restored.Succeeded)
                {
                    return new RemoveOutcome.Failed($"{Describe(view.Backend, family)}-restore failed: {restored.Describe()}");
                }

                removed.AddRange(reconciliation.Unexpected);
            }

            if (await routing.RemoveAsync(networkNamespace, family, cancellationToken) is { } routeFailure)
            {
                return new RemoveOutcome.Failed(routeFailure);
            }
        }

        return removed.Count > 0 ? new RemoveOutcome.Removed(removed.ToImmutable()) : new RemoveOutcome.NothingToRemove();
    }

    /// <summary>
    /// Istio's per-netns choice: legacy if the netns already has legacy rules, else nft if installed, else
    /// plain. The kernel lists a netns's legacy tables in ip_tables_names, so a netns without any is known
    /// not to be legacy without running a process; only when tables exist does iptables-legacy-save run,
    /// and its output is then the netns's state as well.
    /// </summary>
    private async Task<FamilyView> DetectAsync(string netns, IpFamily family, CancellationToken cancellationToken)
    {
        var names = await procFiles.ReadAsync(netns, family == IpFamily.IPv4 ? "ip_tables_names" : "ip6_tables_names", cancellationToken);
        var legacyTables = names?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var noState = ImmutableDictionary<string, SavedTable>.Empty;
        switch (backendChoice)
        {
            case IptablesBackendChoice.Legacy:
                return new FamilyView(IptablesBackend.Legacy, names is not null && legacyTables.Length == 0 ? noState : null, null);
            case IptablesBackendChoice.Nft:
                return new FamilyView(IptablesBackend.Nft, null, null);
        }

        if (legacyTables.Length > 0 && tools.Has(IptablesBackend.Legacy))
        {
            var legacy = await SaveAsync(netns, family, IptablesBackend.Legacy, cancellationToken);
            if (legacy.Failure is not null)
            {
                return legacy;
            }

            if (legacy.Saved!.Values.Any(t => !t.Rules.IsEmpty))
            {
                return legacy;
            }
        }

        return new FamilyView(tools.Has(IptablesBackend.Nft) ? IptablesBackend.Nft : IptablesBackend.Plain, null, null);
    }

    private async Task<FamilyView> SaveAsync(string netns, IpFamily family, IptablesBackend backend, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(new ProcessRequest([tools.Save(backend, family)], null, netns), cancellationToken);
        return result.Succeeded
            ? new FamilyView(backend, IptablesSave.Parse(result.StandardOutput), null)
            : new FamilyView(backend, null, $"{Describe(backend, family)}-save failed: {result.Describe()}");
    }

    private Task<ProcessResult> RestoreAsync(string netns, IpFamily family, IptablesBackend backend, string text, CancellationToken cancellationToken) =>
        runner.RunAsync(new ProcessRequest([tools.Restore(backend, family), "--noflush", "--wait=30"], text, netns), cancellationToken);

    private static string Describe(IptablesBackend backend, IpFamily family) =>
        $"{(family == IpFamily.IPv4 ? "iptables" : "ip6tables")}{backend switch { IptablesBackend.Legacy => "-legacy", IptablesBackend.Nft => "-nft", _ => string.Empty }}";

    /// <summary>The backend chosen for one family and, when it was read (or is known to be empty), the netns's tables.</summary>
    private sealed record FamilyView(IptablesBackend Backend, ImmutableDictionary<string, SavedTable>? Saved, string? Failure);
}
