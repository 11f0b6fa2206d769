using Akka.Actor;
using IstioPodNetwork.Actors.Pods;

namespace IstioPodNetwork.Actors.Tests.Fakes;

/// <summary>A pod actor's surroundings in a spec: it answers snapshot and slot requests and reports everything to a probe.</summary>
public sealed class FakeCoordinator : ReceiveActor
{
    private readonly Dictionary<string, PodSnapshot> pods = [];

    public FakeCoordinator(IActorRef probe, bool grantSlots)
    {
        Receive<PodObserved>(observed => pods[observed.Pod.Uid] = observed.Pod);
        Receive<GetPodSnapshot>(get =>
        {
            if (pods.TryGetValue(get.Uid, out var pod))
            {
                Sender.Tell(new PodObserved(pod));
            }
        });
        Receive<RequestProgrammingSlot>(request =>
        {
            probe.Forward(request);
            if (grantSlots)
            {
                Sender.Tell(new ProgrammingSlotGranted());
            }
        });
        ReceiveAny(probe.Forward);
    }
}

/// <summary>Stands where the backoff supervisor would: hosts the actor, forwards what it tells its parent, and reports its crashes.</summary>
public sealed class StepParent : ReceiveActor
{
    private readonly IActorRef probe;

    public StepParent(Props child, IActorRef probe)
    {
        this.probe = probe;
        var created = Context.ActorOf(child, "pod");
        probe.Tell(new ChildStarted(created));
        ReceiveAny(probe.Forward);
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        probe.Tell(new ChildCrashed(e));
        return Directive.Stop;
    });
}

public sealed record ChildStarted(IActorRef Child);

public sealed record ChildCrashed(Exception Error);
