----------------------------- MODULE CircuitBreaker -----------------------------
(***************************************************************************)
(* A circuit breaker over execution outcomes (the governance issue's       *)
(* breakers; lifecycle/autonomy.ts for levels). Failures in a window trip  *)
(* it; a trip lowers the level to at most RevertTo before the next          *)
(* execution; raising the level again needs an approved request.          *)
(* Mutant = TRUE lets a raise through without an approval.                 *)
(***************************************************************************)
EXTENDS Naturals

CONSTANTS MaxLevel, RevertTo, Threshold, Mutant

VARIABLES level, failures, tripped, request

vars == <<level, failures, tripped, request>>

TypeOK ==
  /\ level \in 1..MaxLevel
  /\ failures \in 0..Threshold
  /\ tripped \in BOOLEAN
  /\ request \in {"none", "pending", "approved"}

Init == level = MaxLevel /\ failures = 0 /\ tripped = FALSE /\ request = "none"

\* An execution happens only when no unprocessed trip is pending.
Fail == failures < Threshold /\ ~tripped /\ failures' = failures + 1 /\ UNCHANGED <<level, tripped, request>>
Succeed == ~tripped /\ failures' = 0 /\ UNCHANGED <<level, tripped, request>>

Trip ==
  /\ failures = Threshold /\ ~tripped
  /\ tripped' = TRUE
  /\ level' = IF level > RevertTo THEN RevertTo ELSE level
  /\ failures' = 0
  /\ UNCHANGED request

Resolve == tripped /\ tripped' = FALSE /\ UNCHANGED <<level, failures, request>>

RequestRaise == request = "none" /\ level < MaxLevel /\ request' = "pending" /\ UNCHANGED <<level, failures, tripped>>
ApproveRaise == request = "pending" /\ request' = "approved" /\ UNCHANGED <<level, failures, tripped>>

Raise ==
  /\ level < MaxLevel /\ ~tripped
  /\ (Mutant \/ request = "approved")
  /\ level' = level + 1
  /\ request' = "none"
  /\ UNCHANGED <<failures, tripped>>

Next == Fail \/ Succeed \/ Trip \/ Resolve \/ RequestRaise \/ ApproveRaise \/ Raise

Spec == Init /\ [][Next]_vars

TripLowers == tripped => level <= RevertTo
RaiseNeedsApproval == [][level' > level => request = "approved"]_vars
NoExecutionPastThreshold == failures <= Threshold
=============================================================================
