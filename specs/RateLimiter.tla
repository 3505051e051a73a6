------------------------------ MODULE RateLimiter ------------------------------
(***************************************************************************)
(* A sliding-window rate limit: the gateway counts executions started in   *)
(* the window (lifecycle/context.ts, purpose "execution") and the policy   *)
(* denies at the limit (policies/interlock/ratelimit). Never more than Max starts in *)
(* any Window consecutive ticks. Mutant = TRUE compares with <= instead of *)
(* < (an off-by-one that lets one more through).                           *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Max, Window, Horizon, Mutant

VARIABLES now, starts

vars == <<now, starts>>

\* Starts are (tick, id) pairs so several can share a tick.
Ids == 1..(Max + 2)
InWindow(S, t) == {s \in S : s[1] > t - Window /\ s[1] <= t}

TypeOK == now \in 0..Horizon /\ starts \subseteq ((0..Horizon) \X Ids)

Init == now = 0 /\ starts = {}

Allowed == IF Mutant THEN Cardinality(InWindow(starts, now)) <= Max ELSE Cardinality(InWindow(starts, now)) < Max

Execute == \E i \in Ids : <<now, i>> \notin starts /\ Allowed /\ starts' = starts \cup {<<now, i>>} /\ UNCHANGED now

Tick == now < Horizon /\ now' = now + 1 /\ UNCHANGED starts

Done == now = Horizon /\ UNCHANGED vars

Next == Execute \/ Tick \/ Done

Spec == Init /\ [][Next]_vars

NeverOverLimit == \A t \in 0..now : Cardinality(InWindow(starts, t)) <= Max
=============================================================================
