----------------------------- MODULE EmergencyStop -----------------------------
(***************************************************************************)
(* The emergency stop: gateway/lifecycle/estop.ts (engage, rearm) and the  *)
(* executor's refusal to start during a stop (executor.ts).                *)
(*                                                                         *)
(* The stop is asynchronous, as in the code: engaging commits the flag and *)
(* signals every running execution to abort; each abort lands later       *)
(* (Abort), and until it does the execution is still running. Executions  *)
(* of estop-exempt kinds ("abort" here: roaster.abort, a cooling cycle)    *)
(* are how a target gets safe: they are not aborted, and they may start    *)
(* during a stop. Nothing else starts until rearm; rearm lowers every      *)
(* target's level to at most L3 (3 here), and only a later, separate raise *)
(* goes above it. Mutant = TRUE rearms without lowering the levels.        *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS Targets, Kinds, Exempt, MaxLevel, RearmCap, Mutant

ASSUME Exempt \subseteq Kinds

VARIABLES estop, level, running, aborting, rearmed

vars == <<estop, level, running, aborting, rearmed>>

Runs == Targets \X Kinds

TypeOK ==
  /\ estop \in BOOLEAN
  /\ level \in [Targets -> 1..MaxLevel]
  /\ running \subseteq Runs
  /\ aborting \subseteq running
  /\ rearmed \in BOOLEAN

Init == estop = FALSE /\ level = [t \in Targets |-> MaxLevel] /\ running = {} /\ aborting = {} /\ rearmed = FALSE

Busy(t) == \E k \in Kinds : <<t, k>> \in running

\* One execution at a time per target; during a stop only exempt kinds start.
Start(t, k) ==
  /\ ~estop \/ k \in Exempt
  /\ ~Busy(t)
  /\ running' = running \cup {<<t, k>>}
  /\ UNCHANGED <<estop, level, aborting, rearmed>>

Finish(r) == r \in running /\ running' = running \ {r} /\ aborting' = aborting \ {r} /\ UNCHANGED <<estop, level, rearmed>>

\* Engaging commits the flag and signals every running non-exempt execution to abort.
Engage ==
  /\ ~estop
  /\ estop' = TRUE
  /\ aborting' = {r \in running : r[2] \notin Exempt}
  /\ UNCHANGED <<level, running, rearmed>>

\* A signalled execution stops (its driver reaches the safe state): later, not at once.
Abort(r) == r \in aborting /\ running' = running \ {r} /\ aborting' = aborting \ {r} /\ UNCHANGED <<estop, level, rearmed>>

Rearm ==
  /\ estop
  /\ estop' = FALSE
  /\ level' = IF Mutant THEN level ELSE [t \in Targets |-> IF level[t] > RearmCap THEN RearmCap ELSE level[t]]
  /\ rearmed' = TRUE
  /\ UNCHANGED <<running, aborting>>

\* An admin raises a level again: a step of its own, after the rearm.
Raise(t) == ~estop /\ level[t] < MaxLevel /\ level' = [level EXCEPT ![t] = @ + 1] /\ rearmed' = FALSE /\ UNCHANGED <<estop, running, aborting>>

Next == \/ \E t \in Targets : Raise(t) \/ \E k \in Kinds : Start(t, k)
        \/ \E r \in Runs : Finish(r) \/ Abort(r)
        \/ Engage \/ Rearm

\* Aborts land eventually: the executor's abort and the driver's safe state are not optional.
Spec == Init /\ [][Next]_vars /\ \A r \in Runs : WF_vars(Abort(r))

\* During a stop every running execution is exempt or on its way out.
StopCoversEverything == estop => \A r \in running : r[2] \in Exempt \/ r \in aborting

\* Nothing but an exempt kind starts during a stop.
OnlyExemptStartsDuringStop == [][\A r \in Runs : (r \notin running /\ r \in running') => (~estop \/ r[2] \in Exempt)]_vars

\* Every signalled execution ends.
AbortsLand == \A r \in Runs : [](r \in aborting => <>(r \notin running))

RearmLowersLevels == rearmed => \A t \in Targets : level[t] <= RearmCap
=============================================================================
