------------------------------- MODULE Approvals -------------------------------
(***************************************************************************)
(* Approval of one held action: gateway/lifecycle/verdicts.ts (approve,    *)
(* reject), the sweeper's expiry (sweeper.ts) and the executor's binding   *)
(* check of approvals to the action digest (executor.ts).                  *)
(*                                                                         *)
(* N distinct approvers, never the proposer; each approval carries the     *)
(* digest the approver saw, and only approvals of the action's digest      *)
(* count. A clock drives the timeout. Liveness: under weak fairness of the *)
(* clock and of expiry, the action leaves PENDING.                        *)
(* Mutant = TRUE approves on the first approval when two are required.     *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Approvers, Proposer, Quorum, Digests, ActionDigest, Timeout, Mutant

VARIABLES status, approvals, clock

vars == <<status, approvals, clock>>

Needed == IF Mutant THEN 1 ELSE Quorum

\* The approvers whose approval is bound to this action's digest.
Counted == {p \in Approvers : <<p, ActionDigest>> \in approvals}

TypeOK ==
  /\ status \in {"PENDING_APPROVAL", "APPROVED", "REJECTED", "EXPIRED"}
  /\ approvals \subseteq (Approvers \X Digests)
  /\ clock \in 0..Timeout

Init == status = "PENDING_APPROVAL" /\ approvals = {} /\ clock = 0

\* The gateway refuses an approval by the proposer, a second one by the same person, or one
\* for another digest (409); only a valid approval is recorded.
Approve(p, d) ==
  /\ status = "PENDING_APPROVAL"
  /\ clock < Timeout
  /\ p # Proposer
  /\ d = ActionDigest
  /\ ~\E e \in Digests : <<p, e>> \in approvals
  /\ approvals' = approvals \cup {<<p, d>>}
  /\ status' = IF Cardinality({q \in Approvers : <<q, ActionDigest>> \in approvals'}) >= Needed THEN "APPROVED" ELSE status
  /\ UNCHANGED clock

Reject(p) ==
  /\ status = "PENDING_APPROVAL" /\ clock < Timeout /\ p # Proposer
  /\ status' = "REJECTED" /\ UNCHANGED <<approvals, clock>>

Tick == clock < Timeout /\ clock' = clock + 1 /\ UNCHANGED <<status, approvals>>

Expire == status = "PENDING_APPROVAL" /\ clock = Timeout /\ status' = "EXPIRED" /\ UNCHANGED <<approvals, clock>>

Done == status # "PENDING_APPROVAL" /\ UNCHANGED vars

Next ==
  \/ \E p \in Approvers, d \in Digests : Approve(p, d)
  \/ \E p \in Approvers : Reject(p)
  \/ Tick \/ Expire \/ Done

Spec == Init /\ [][Next]_vars /\ WF_vars(Tick) /\ WF_vars(Expire)

QuorumBeforeApproved == status = "APPROVED" => Cardinality(Counted) >= Quorum
NeverTheProposer == \A p \in Approvers, d \in Digests : <<p, d>> \in approvals => p # Proposer
BoundToDigest == \A p \in Approvers, d \in Digests : <<p, d>> \in approvals => d = ActionDigest
NoApprovalAfterTimeout == [][clock = Timeout => approvals' = approvals]_vars

\* Liveness: a pending action does not stay pending forever.
LeavesPending == <>(status # "PENDING_APPROVAL")
=============================================================================
