----------------------------- MODULE EmergencyStop -----------------------------
(***************************************************************************)
(* The emergency stop: gateway/lifecycle/estop.ts (engage, rearm) and the  *)
(* executor's refusal to start during a stop (executor.ts).                *)
(* After a stop no new execution starts until rearm; rearm lowers every    *)
(* target's level to at most L3 (3 here), and only a later, separate raise *)
(* goes above it. Mutant = TRUE rearms without lowering the levels.        *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS Targets, MaxLevel, RearmCap, Mutant

VARIABLES estop, level, running, rearmed

vars == <<estop, level, running, rearmed>>

TypeOK ==
  /\ estop \in BOOLEAN
  /\ level \in [Targets -> 1..MaxLevel]
  /\ running \subseteq Targets
  /\ rearmed \in BOOLEAN

Init == estop = FALSE /\ level = [t \in Targets |-> MaxLevel] /\ running = {} /\ rearmed = FALSE

Start(t) == ~estop /\ t \notin running /\ running' = running \cup {t} /\ UNCHANGED <<estop, level, rearmed>>
Finish(t) == t \in running /\ running' = running \ {t} /\ UNCHANGED <<estop, level, rearmed>>

\* Engaging commands every target to its safe state: nothing keeps running.
Engage == ~estop /\ estop' = TRUE /\ running' = {} /\ UNCHANGED <<level, rearmed>>

Rearm ==
  /\ estop
  /\ estop' = FALSE
  /\ level' = IF Mutant THEN level ELSE [t \in Targets |-> IF level[t] > RearmCap THEN RearmCap ELSE level[t]]
  /\ rearmed' = TRUE
  /\ UNCHANGED running

\* An admin raises a level again: a step of its own, after the rearm.
Raise(t) == ~estop /\ level[t] < MaxLevel /\ level' = [level EXCEPT ![t] = @ + 1] /\ rearmed' = FALSE /\ UNCHANGED <<estop, running>>

Next == \/ \E t \in Targets : Start(t) \/ Finish(t) \/ Raise(t)
        \/ Engage \/ Rearm

Spec == Init /\ [][Next]_vars

NothingRunsDuringStop == estop => running = {}
NoStartDuringStop == [][\A t \in Targets : (t \notin running /\ t \in running') => ~estop]_vars
RearmLowersLevels == rearmed => \A t \in Targets : level[t] <= RearmCap
=============================================================================
