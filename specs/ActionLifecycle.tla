---------------------------- MODULE ActionLifecycle ----------------------------
(***************************************************************************)
(* The action lifecycle: gateway/lifecycle/states.ts (TRANSITIONS), the    *)
(* proposal path (propose.ts, record.ts), verdicts.ts, estop.ts and the     *)
(* executor's claim and time-of-use re-check (executor/executor.ts).        *)
(*                                                                         *)
(* Every status change goes through Move, which only takes the steps in    *)
(* Transitions; the conformance test checks that set against the code's    *)
(* table. Two executor replicas race to claim approved actions: the claim  *)
(* is one conditional UPDATE (APPROVED -> EXECUTING), modelled as one step.*)
(* Mutant = TRUE splits the claim into a read and a later write, as a      *)
(* careless executor would: then an action can execute twice.              *)
(*                                                                         *)
(* Exempt actions are of estop-exempt kinds (roaster.abort, a cooling      *)
(* cycle): they are decided and may start during a stop, because they are  *)
(* how a target gets safe. The stop itself is asynchronous, as in          *)
(* estop.ts: the flag commits first, the sweep cancels held actions in a   *)
(* later transaction, and running executions end (ABORTED) when their      *)
(* abort lands, any time after.                                            *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Actions, Replicas, Approvers, Proposer, Quorum, Mutant, Exempt

ASSUME Exempt \subseteq Actions

Transitions == {
  <<"PROPOSED", "DENIED">>, <<"PROPOSED", "PENDING_APPROVAL">>, <<"PROPOSED", "PENDING_VETO">>,
  <<"PROPOSED", "APPROVED">>,
  <<"PENDING_APPROVAL", "APPROVED">>, <<"PENDING_APPROVAL", "REJECTED">>,
  <<"PENDING_APPROVAL", "EXPIRED">>, <<"PENDING_APPROVAL", "CANCELLED">>,
  <<"PENDING_VETO", "APPROVED">>, <<"PENDING_VETO", "VETOED">>, <<"PENDING_VETO", "CANCELLED">>,
  <<"APPROVED", "EXECUTING">>, <<"APPROVED", "BLOCKED">>, <<"APPROVED", "CANCELLED">>,
  <<"EXECUTING", "COMPLETED">>, <<"EXECUTING", "FAILED">>, <<"EXECUTING", "ABORTED">>,
  <<"EXECUTING", "UNKNOWN">>,
  <<"UNKNOWN", "COMPLETED">>, <<"UNKNOWN", "FAILED">>, <<"UNKNOWN", "ABORTED">>
}

Statuses == {t[1] : t \in Transitions} \cup {t[2] : t \in Transitions}
Terminal == {s \in Statuses : \A t \in Transitions : t[1] # s}
Held == {"PENDING_APPROVAL", "PENDING_VETO", "APPROVED"}

VARIABLES status, decision, approvals, execs, estop, swept, levelOk, seen

vars == <<status, decision, approvals, execs, estop, swept, levelOk, seen>>

TypeOK ==
  /\ status \in [Actions -> Statuses]
  /\ decision \in [Actions -> {"none", "allow", "require", "veto", "deny"}]
  /\ approvals \in [Actions -> SUBSET Approvers]
  /\ execs \in [Actions -> 0..2]
  /\ estop \in BOOLEAN
  /\ swept \in BOOLEAN
  /\ levelOk \in BOOLEAN
  /\ seen \in [Replicas -> SUBSET Actions]

Init ==
  /\ status = [a \in Actions |-> "PROPOSED"]
  /\ decision = [a \in Actions |-> "none"]
  /\ approvals = [a \in Actions |-> {}]
  /\ execs = [a \in Actions |-> 0]
  /\ estop = FALSE
  /\ swept = TRUE
  /\ levelOk = TRUE
  /\ seen = [r \in Replicas |-> {}]

\* The only way a status changes: a step the table allows.
Move(a, to) ==
  /\ <<status[a], to>> \in Transitions
  /\ status' = [status EXCEPT ![a] = to]

\* The pipeline's decision; during an emergency stop every decision is deny, except for
\* estop-exempt kinds.
Decide(a) ==
  /\ status[a] = "PROPOSED"
  /\ \E d \in {"allow", "require", "veto", "deny"} :
       LET eff == IF estop /\ a \notin Exempt THEN "deny" ELSE d IN
       /\ decision' = [decision EXCEPT ![a] = eff]
       /\ Move(a, CASE eff = "allow" -> "APPROVED"
                    [] eff = "require" -> "PENDING_APPROVAL"
                    [] eff = "veto" -> "PENDING_VETO"
                    [] OTHER -> "DENIED")
  /\ UNCHANGED <<approvals, execs, estop, swept, levelOk, seen>>

\* An approval counts once per approver, never the proposer's own.
Approve(a, p) ==
  /\ status[a] = "PENDING_APPROVAL"
  /\ p # Proposer
  /\ p \notin approvals[a]
  /\ approvals' = [approvals EXCEPT ![a] = @ \cup {p}]
  /\ IF Cardinality(approvals'[a]) >= Quorum THEN Move(a, "APPROVED") ELSE UNCHANGED status
  /\ UNCHANGED <<decision, execs, estop, swept, levelOk, seen>>

Reject(a) == status[a] = "PENDING_APPROVAL" /\ Move(a, "REJECTED") /\ UNCHANGED <<decision, approvals, execs, estop, swept, levelOk, seen>>
Expire(a) == status[a] = "PENDING_APPROVAL" /\ Move(a, "EXPIRED") /\ UNCHANGED <<decision, approvals, execs, estop, swept, levelOk, seen>>
Veto(a) == status[a] = "PENDING_VETO" /\ Move(a, "VETOED") /\ UNCHANGED <<decision, approvals, execs, estop, swept, levelOk, seen>>
WindowPasses(a) == status[a] = "PENDING_VETO" /\ Move(a, "APPROVED") /\ UNCHANGED <<decision, approvals, execs, estop, swept, levelOk, seen>>
Cancel(a) == status[a] \in Held /\ Move(a, "CANCELLED") /\ UNCHANGED <<decision, approvals, execs, estop, swept, levelOk, seen>>

\* estop.ts commits the stop first, then cancels every held action in a second transaction.
\* Between the two, approvals and veto windows still move actions; the executor's re-check
\* sees the stop and blocks them.
Engage ==
  /\ ~estop
  /\ estop' = TRUE
  /\ swept' = FALSE
  /\ UNCHANGED <<status, decision, approvals, execs, levelOk, seen>>

Sweep ==
  /\ estop /\ ~swept
  /\ status' = [a \in Actions |-> IF status[a] \in Held THEN "CANCELLED" ELSE status[a]]
  /\ swept' = TRUE
  /\ UNCHANGED <<decision, approvals, execs, estop, levelOk, seen>>

Rearm == estop /\ swept /\ estop' = FALSE /\ UNCHANGED <<status, decision, approvals, execs, swept, levelOk, seen>>

\* An operator lowers or restores the level; the re-check at time of use sees it.
ChangeLevel == levelOk' = ~levelOk /\ UNCHANGED <<status, decision, approvals, execs, estop, swept, seen>>

\* The claim: re-check (level and stop), then APPROVED -> EXECUTING or BLOCKED in one
\* conditional update. An exempt action may start during a stop.
Claim(a, r) ==
  /\ ~Mutant
  /\ status[a] = "APPROVED"
  /\ IF levelOk /\ (~estop \/ a \in Exempt)
       THEN Move(a, "EXECUTING") /\ execs' = [execs EXCEPT ![a] = @ + 1]
       ELSE Move(a, "BLOCKED") /\ UNCHANGED execs
  /\ UNCHANGED <<decision, approvals, estop, swept, levelOk, seen>>

\* The broken executor: it reads APPROVED, and later starts without re-checking the row's
\* status (it still re-checks the stop and the level), so two replicas can both start it.
ReadApproved(a, r) ==
  /\ Mutant
  /\ status[a] = "APPROVED" /\ ~estop /\ levelOk
  /\ a \notin seen[r]
  /\ seen' = [seen EXCEPT ![r] = @ \cup {a}]
  /\ UNCHANGED <<status, decision, approvals, execs, estop, swept, levelOk>>

StartSeen(a, r) ==
  /\ Mutant
  /\ a \in seen[r]
  /\ status[a] \in {"APPROVED", "EXECUTING"}
  /\ ~estop /\ levelOk
  /\ status' = [status EXCEPT ![a] = "EXECUTING"]
  /\ execs' = [execs EXCEPT ![a] = @ + 1]
  /\ seen' = [seen EXCEPT ![r] = @ \ {a}]
  /\ UNCHANGED <<decision, approvals, estop, swept, levelOk>>

Finish(a) ==
  /\ status[a] \in {"EXECUTING", "UNKNOWN"}
  /\ \E to \in {"COMPLETED", "FAILED", "ABORTED", "UNKNOWN"} : Move(a, to)
  /\ UNCHANGED <<decision, approvals, execs, estop, swept, levelOk, seen>>

\* Everything settled: stutter rather than report a deadlock.
Done == \A a \in Actions : status[a] \in Terminal /\ UNCHANGED vars

Next ==
  \/ \E a \in Actions :
       \/ Decide(a) \/ Reject(a) \/ Expire(a) \/ Veto(a) \/ WindowPasses(a) \/ Cancel(a) \/ Finish(a)
       \/ \E p \in Approvers : Approve(a, p)
       \/ \E r \in Replicas : Claim(a, r) \/ ReadApproved(a, r) \/ StartSeen(a, r)
  \/ Engage \/ Sweep \/ Rearm \/ ChangeLevel
  \/ Done

Spec == Init /\ [][Next]_vars

(* Safety *)
AtMostOnce == \A a \in Actions : execs[a] <= 1

ExecutesOnlyWhenAllowed ==
  \A a \in Actions : execs[a] > 0 => (decision[a] \in {"allow", "veto"} \/ Cardinality(approvals[a]) >= Quorum)

NoSelfApproval == \A a \in Actions : Proposer \notin approvals[a]

\* Once the stop's sweep has run, nothing is held until rearm: new proposals are denied and
\* nothing pending is left to approve. Exempt actions are decided during the stop and may be held.
EstopPreempts == (estop /\ swept) => \A a \in Actions \ Exempt : status[a] \notin Held

\* Steps follow the table (the mutant's StartSeen does not).
FollowsTable == [][\A a \in Actions : status'[a] # status[a] => <<status[a], status'[a]>> \in Transitions]_vars

\* An execution starts only with the level still allowing it and no stop in force, unless
\* the action is estop-exempt.
StartsOnlyWhenRechecked ==
  [][\A a \in Actions : (status[a] # "EXECUTING" /\ status'[a] = "EXECUTING") => (levelOk /\ (~estop \/ a \in Exempt))]_vars
=============================================================================
