#!/usr/bin/python3
"""End-to-end scenario (c): a s42 enquiry cannot conclude until the s68 advocacy duty is met.

    /usr/bin/python3 scenario_advocacy.py [--stubs DIR] HUBD [REPO_ROOT]

Starts the real hubd (on 127.0.0.1:0, a fresh data directory, the example partnership,
development identity from metadata), drives the scenario through the Python stubs, and
stops hubd with SIGTERM, which must exit 0. Exit status 0 when every check passed; 1 with a
message naming the failed step otherwise (hubd is always stopped; its log is printed).

The scenario: a man with a learning disability who lacks capacity for the decision and has no
appropriate individual. His GP raises the concern without asking consent (he lacks capacity
to consent). The MASH triages amber and asks the GP for information; the safeguarding manager
opens a s42 enquiry; the enquiry officer records a capacity assessment (lacks capacity for a
named decision), a best-interests decision referencing it, substantial difficulty
(understanding; using or weighing) and no appropriate individual. Conclusion is refused
(advocacy duty unmet); after a referral to the advocacy provider, acceptance and allocation it
is still refused until the advocate's views are recorded; then it concludes and closes.
"""

import argparse
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import grpc

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hub_client as hc  # noqa: E402

FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION

# Who does what (agency ids of deploy/partnership.example.textproto).
GP = hc.Who("gp-riverside", "dr.fiction", ["referrer"])
GP_RESEARCHER = hc.Who("gp-riverside", "gp.practice.safeguarding", ["mash_researcher"])
TRIAGE = hc.Who("asc-northshire", "mash.triage.1", ["mash_triage"])
MANAGER = hc.Who("asc-northshire", "sg.manager.1", ["safeguarding_manager"])
OFFICER = hc.Who("asc-northshire", "enquiry.officer.1", ["enquiry_officer"])
ADVOCATE = hc.Who("advocacy-northshire", "advocate.1", ["advocate"])

DECISION = "how Mr Fictional's money is managed"
NHS_NUMBER = "9434765919"

# At conclusion, for his desired outcomes in the order recorded: achievement and his view.
OUTCOME_RESULTS = [
    ("OUTCOME_ACHIEVEMENT_FULLY",
     "He says his money is safe now and he likes his new money box."),
    ("OUTCOME_ACHIEVEMENT_PARTIALLY",
     "He still misses going to the cafe with the man but goes with his support worker now."),
]


class Scenario:
    def __init__(self, hub: hc.HubClient):
        self.hub = hub
        self.pb = hub.pb
        self.step_name = "start"

    def step(self, name: str) -> None:
        self.step_name = name
        print(f"  - {name}", flush=True)

    # ---- helpers ----

    def duty(self, enquiry_id: str):
        response = self.hub.query(
            self.hub.advocacy.GetAdvocacyDuty,
            self.pb.advocacy.GetAdvocacyDutyRequest(enquiry_id=enquiry_id), OFFICER)
        return response

    def conclude_request(self, enquiry_id, outcome_ids):
        r, v, e = self.pb.reference, self.pb.values, self.pb.enquiry
        return e.ConcludeEnquiryRequest(
            enquiry_id=enquiry_id,
            risks=[v.ConcludedRisk(type=r.TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE,
                                   location=r.LOCATION_OF_RISK_OWN_HOME,
                                   source=r.SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL)],
            action_and_result=r.ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN,
            risk_outcome=r.RISK_OUTCOME_REDUCED,
            capacity=r.CAPACITY_ANSWER_LACKED_CAPACITY,
            supported_by_advocate_family_or_friend=True,
            outcomes_asked=r.OUTCOMES_ASKED_YES_EXPRESSED,
            outcome_results=[
                v.OutcomeResult(outcome_id=outcome_id, achievement=achievement, adults_view=view)
                for outcome_id, (achievement, view) in zip(outcome_ids, OUTCOME_RESULTS)],
            experience=v.ExperienceAnswers(
                answered_by=r.EXPRESSED_BY_ADVOCATE, got_goals=r.EXPERIENCE_ANSWER_PARTLY,
                chance_to_say=r.EXPERIENCE_ANSWER_YES, listened_to=r.EXPERIENCE_ANSWER_YES,
                acted_on_wishes=r.EXPERIENCE_ANSWER_YES, feel_safe=r.EXPERIENCE_ANSWER_YES,
                happier=r.EXPERIENCE_ANSWER_PARTLY),
            summary="Financial abuse by an acquaintance substantiated. Appointeeship arranged "
                    "in his best interests; acquaintance no longer visits; police informed.")

    # ---- the scenario ----

    def run(self) -> None:
        hub, pb = self.hub, self.pb
        r, v = pb.reference, pb.values
        now = hc.now_utc()

        self.step("the GP raises a concern without consent (lacks capacity to consent)")
        raise_request = pb.intake.RaiseConcernRequest(
            adult=v.AdultDetails(
                identifiers=[v.Identifier(kind=r.IDENTIFIER_KIND_NHS_NUMBER, value=NHS_NUMBER)],
                name=v.PersonName(given="Testy", family="Fictional", preferred="Testy"),
                date_of_birth=v.Date(year=1989, month=4, day=12),
                address=v.Address(lines=["Flat 2, 10 Example Street", "Northshire"],
                                  postcode="NS1 1AA"),
                gender=r.GENDER_MALE,
                ethnicity_group=r.ETHNICITY_GROUP_NOT_KNOWN,
                primary_support_reason=r.PRIMARY_SUPPORT_REASON_LEARNING_DISABILITY,
                communication_needs=v.CommunicationNeeds(
                    preferred_language="English",
                    how_best_to_contact="Easy-read letters; through his support worker"),
                household=v.Household(lives_alone=True)),
            details=v.ConcernDetails(
                what_happened="At his annual learning disability health check Mr Fictional said "
                              "a man he met at the cafe 'looks after' his bank card and takes "
                              "him to the cash machine each week. He has had no money for food "
                              "for several weeks and has lost weight.",
                ongoing=True,
                types_of_risk=[r.TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE,
                               r.TYPE_OF_RISK_NEGLECT_AND_ACTS_OF_OMISSION],
                location_of_risk=r.LOCATION_OF_RISK_OWN_HOME,
                location_details="His own supported-living flat",
                sources_of_risk=[v.SourceOfRiskDetails(
                    category=r.SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL,
                    relationship="acquaintance", notes="Known only by a first name")],
                referrer=v.Referrer(name="Dr Example Fiction", role="GP",
                                    organisation="Riverside Medical Practice",
                                    phone="01632 960050"),
                consent=v.Consent(
                    adult_aware=True,
                    status=r.CONSENT_STATUS_NOT_ASKED,
                    not_asked_reason=r.CONSENT_NOT_ASKED_REASON_LACKS_CAPACITY,
                    override_grounds=[r.OVERRIDE_GROUND_LACKS_CAPACITY],
                    override_justification="He could not understand or weigh what a "
                                           "safeguarding referral is; raising it is in his best "
                                           "interests.",
                    adult_informed_note="Told in easy-read terms that people will help him "
                                        "keep his money safe."),
                adults_views="He likes the man and says he is his friend.",
                external_reference="GP-DEMO-0001"))
        raised = hub.command(hub.intake.RaiseConcern, raise_request, GP, creates=True)
        check(raised.concern_id, "RaiseConcern returned no concern_id")
        check(raised.person_id, "RaiseConcern returned no person_id")
        check(not raised.result.replayed, "a first RaiseConcern came back as replayed")
        check(raised.episode == 1, f"first concern about him: episode 1, got {raised.episode}")
        concern_id = raised.concern_id
        concern = hc.concern_key(concern_id)
        hub.track(concern, raised.result)

        self.step("retrying RaiseConcern with the same command id replays the original")
        again = hub.resend(hub.intake.RaiseConcern, raise_request, GP)
        check(again.result.replayed, "a retried command id was not answered as replayed")
        check(again.concern_id == concern_id,
              f"the retry raised another concern: {again.concern_id} != {concern_id}")
        check(again.result.version == raised.result.version,
              f"the replayed version {again.result.version} differs from the original "
              f"{raised.result.version}")

        self.step("the MASH triages amber")
        triaged = hub.command(
            hub.mash.TriageConcern,
            pb.mash.TriageConcernRequest(
                concern_id=concern_id, rating=r.RAG_RATING_AMBER,
                rationale="Ongoing financial abuse and weight loss; not in immediate danger."),
            TRIAGE, target=concern)
        check(triaged.HasField("decision_due_at"), "triage returned no decision deadline")
        check(hc.from_ts(triaged.decision_due_at) > now,
              f"decision deadline {triaged.decision_due_at.ToJsonString()} is not in the future")

        self.step("the MASH asks the GP for information; the GP answers")
        asked = hub.command(
            hub.mash.RequestResearch,
            pb.mash.RequestResearchRequest(
                concern_id=concern_id, agency_id="gp-riverside",
                questions="Capacity history, weight record, who attends appointments with him."),
            TRIAGE, target=concern)
        check(asked.request_id, "RequestResearch returned no request_id")
        check(hc.from_ts(asked.due_at) <= hc.from_ts(triaged.decision_due_at),
              "research is due after the decision deadline")
        hub.command(
            hub.mash.AnswerResearch,
            pb.mash.AnswerResearchRequest(
                concern_id=concern_id, request_id=asked.request_id,
                answer="Moderate learning disability. Weight down 6 kg in 3 months. Attends "
                       "alone; previously supported by a support worker.",
                markings=[r.HANDLING_MARKING_OWNER_AGREEMENT_BEFORE_ONWARD_SHARING]),
            GP_RESEARCHER, target=concern)

        self.step("a stale expected_version is ABORTED with the actual version in a trailer")
        current = hub.versions.get(concern)
        stale = pb.mash.RecordThresholdDecisionRequest(
            concern_id=concern_id, has_care_and_support_needs=True,
            experiencing_or_at_risk=True, unable_to_protect_self=True,
            route=r.THRESHOLD_ROUTE_S42_ENQUIRY, rationale="stale")
        stale.header.command_id = hc.new_command_id()
        stale.header.expected_version = current - 1
        err = hc.expect_refusal(
            lambda: hub.send(hub.mash.RecordThresholdDecision, stale, MANAGER),
            grpc.StatusCode.ABORTED)
        check(err.actual_version == current,
              f"ABORTED carried {hc.ACTUAL_VERSION_TRAILER}={err.actual_version}, expected "
              f"{current} (trailers: {err.trailers})")

        self.step("the safeguarding manager decides: s42 enquiry")
        decided = hub.command(
            hub.mash.RecordThresholdDecision,
            pb.mash.RecordThresholdDecisionRequest(
                concern_id=concern_id, has_care_and_support_needs=True,
                experiencing_or_at_risk=True, unable_to_protect_self=True,
                route=r.THRESHOLD_ROUTE_S42_ENQUIRY,
                rationale="Care and support needs (learning disability), experiencing financial "
                          "abuse, and unable to protect himself from it.",
                referrer_feedback_given=True,
                referrer_feedback="Dr Fiction told a s42 enquiry is open."),
            MANAGER, target=concern)
        check(decided.enquiry_id, "an s42 decision returned no enquiry_id")
        check(decided.HasField("enquiry_result"), "an s42 decision returned no enquiry_result")
        enquiry_id = decided.enquiry_id
        enquiry = hc.enquiry_key(enquiry_id)
        hub.track(enquiry, decided.enquiry_result)

        self.step("GetAdvocacyDuty on the new enquiry: the duty does not arise yet")
        duty = self.duty(enquiry_id)
        check(not duty.duty.applies, f"duty applies before any assessment: {duty.duty}")
        check(duty.version == hub.versions.get(enquiry),
              f"GetAdvocacyDuty version {duty.version} != enquiry version "
              f"{hub.versions.get(enquiry)}")

        self.step("the manager assigns the lead (adult social care)")
        hub.command(
            hub.enquiry.AssignLead,
            pb.enquiry.AssignLeadRequest(
                enquiry_id=enquiry_id, lead_agency_id="asc-northshire",
                officer_name="Enquiry Officer One", officer_user_id=OFFICER.user),
            MANAGER, target=enquiry)

        self.step("capacity assessment: lacks capacity for the named decision")
        assessed = hub.command(
            hub.enquiry.RecordCapacityAssessment,
            pb.enquiry.RecordCapacityAssessmentRequest(
                enquiry_id=enquiry_id, decision=DECISION,
                assessed_at=hc.ts(now - datetime.timedelta(hours=2)),
                assessor="Enquiry Officer One (social worker)",
                finding=r.CAPACITY_FINDING_LACKS_CAPACITY,
                evidence="Could not retain or weigh how his money is spent or the risk of "
                         "giving his card away, with easy-read support, on two visits."),
            OFFICER, target=enquiry)
        check(assessed.assessment_id, "RecordCapacityAssessment returned no assessment_id")

        self.step("best-interests decision referencing the assessment")
        best = hub.command(
            hub.enquiry.RecordBestInterestsDecision,
            pb.enquiry.RecordBestInterestsDecisionRequest(
                enquiry_id=enquiry_id, capacity_assessment_id=assessed.assessment_id,
                decision=DECISION,
                options=[
                    v.BestInterestsOption(
                        option="Appointeeship by the council with weekly spending money",
                        factors_for=["Money for food every week", "Card no longer shared"],
                        factors_against=["Less independence"]),
                    v.BestInterestsOption(
                        option="No change",
                        factors_for=["He keeps full control"],
                        factors_against=["Abuse continues", "Weight loss continues"]),
                ],
                people_consulted=["His support worker", "Dr Example Fiction (GP)"],
                adults_known_wishes="He wants to keep buying his own magazines and go to the "
                                    "cafe.",
                chosen_option="Appointeeship by the council with weekly spending money",
                rationale="Least restrictive option that stops the abuse and keeps his weekly "
                          "choices."),
            OFFICER, target=enquiry)
        check(best.decision_id, "RecordBestInterestsDecision returned no decision_id")

        self.step("his desired outcomes are recorded in his words")
        revised = hub.command(
            hub.enquiry.ReviseDesiredOutcomes,
            pb.enquiry.ReviseDesiredOutcomesRequest(
                enquiry_id=enquiry_id,
                added=[v.DesiredOutcome(text="I want my money to be mine.",
                                        kind=r.DESIRED_OUTCOME_KIND_ABUSE_TO_STOP,
                                        expressed_by=r.EXPRESSED_BY_ADULT)],
                reason="Asked at the first visit with easy-read materials."),
            OFFICER, target=enquiry)
        check(len(revised.added_outcome_ids) == 1,
              f"one outcome added, ids returned: {list(revised.added_outcome_ids)}")
        outcome_ids = list(revised.added_outcome_ids)

        self.step("substantial difficulty (understanding; using or weighing)")
        hub.command(
            hub.advocacy.AssessSubstantialDifficulty,
            pb.advocacy.AssessSubstantialDifficultyRequest(
                enquiry_id=enquiry_id, understanding=True, retaining=False,
                using_or_weighing=True, communicating=False,
                notes="Understands simple choices with pictures; cannot weigh risks."),
            OFFICER, target=enquiry)

        self.step("no appropriate individual")
        ai = hub.command(
            hub.advocacy.AssessAppropriateIndividual,
            pb.advocacy.AssessAppropriateIndividualRequest(
                enquiry_id=enquiry_id, exists=False,
                notes="No family in contact; his only friend is the alleged source of risk; "
                      "his support worker is paid."),
            OFFICER, target=enquiry)
        check(ai.duty.applies and not ai.duty.met,
              f"after the assessments the duty should apply and be unmet: {ai.duty}")

        self.step("GetAdvocacyDuty before advocacy: applies, not met")
        duty = self.duty(enquiry_id)
        check(duty.duty.applies, f"duty does not apply: {duty.duty}")
        check(not duty.duty.met, f"duty met without an advocate: {duty.duty}")
        check(duty.duty.explanation, "the duty has no explanation")
        check(duty.version == hub.versions.get(enquiry),
              f"GetAdvocacyDuty version {duty.version} != {hub.versions.get(enquiry)}")

        self.step("ConcludeEnquiry is refused: advocacy duty unmet")
        err = hc.expect_refusal(
            lambda: hub.command(hub.enquiry.ConcludeEnquiry,
                                self.conclude_request(enquiry_id, outcome_ids),
                                OFFICER, target=enquiry),
            FAILED_PRECONDITION, "advoca")
        print(f"      refused: {err.message}", flush=True)

        self.step("referral to the advocacy provider")
        referred = hub.command(
            hub.advocacy.ReferForAdvocacy,
            pb.advocacy.ReferForAdvocacyRequest(
                enquiry_id=enquiry_id, provider_agency_id="advocacy-northshire",
                reason="Care Act s68: substantial difficulty and no appropriate individual."),
            OFFICER, target=enquiry)
        check(referred.referral_id, "ReferForAdvocacy returned no referral_id")
        check(referred.duty.applies and not referred.duty.met,
              f"after referral: applies, not met expected: {referred.duty}")
        referral_id = referred.referral_id

        self.step("the provider accepts and allocates an advocate")
        hub.command(
            hub.advocacy.AcceptAdvocacyReferral,
            pb.advocacy.AcceptAdvocacyReferralRequest(enquiry_id=enquiry_id,
                                                      referral_id=referral_id),
            ADVOCATE, target=enquiry)
        allocated = hub.command(
            hub.advocacy.AllocateAdvocate,
            pb.advocacy.AllocateAdvocateRequest(
                enquiry_id=enquiry_id, referral_id=referral_id,
                advocate_name="Advocate Demo-Person", advocate_user_id=ADVOCATE.user,
                contact="01632 960070"),
            ADVOCATE, target=enquiry)
        check(not allocated.duty.met,
              f"the duty is met on allocation, before the advocate's views: {allocated.duty}")

        self.step("the advocate adds an outcome he expressed with their support")
        revised = hub.command(
            hub.enquiry.ReviseDesiredOutcomes,
            pb.enquiry.ReviseDesiredOutcomesRequest(
                enquiry_id=enquiry_id,
                added=[v.DesiredOutcome(text="I still want to go to the cafe.",
                                        kind=r.DESIRED_OUTCOME_KIND_SOMETHING_ELSE,
                                        expressed_by=r.EXPRESSED_BY_ADVOCATE)],
                reason="Expressed to his advocate at their first meeting."),
            ADVOCATE, target=enquiry)
        check(len(revised.added_outcome_ids) == 1,
              f"one outcome added, ids returned: {list(revised.added_outcome_ids)}")
        outcome_ids += list(revised.added_outcome_ids)

        self.step("ConcludeEnquiry is still refused: the advocate's views are not recorded")
        err = hc.expect_refusal(
            lambda: hub.command(hub.enquiry.ConcludeEnquiry,
                                self.conclude_request(enquiry_id, outcome_ids),
                                OFFICER, target=enquiry),
            FAILED_PRECONDITION, "advoca")
        print(f"      refused: {err.message}", flush=True)

        self.step("the advocate records their views")
        views = hub.command(
            hub.advocacy.RecordAdvocateViews,
            pb.advocacy.RecordAdvocateViewsRequest(
                enquiry_id=enquiry_id, referral_id=referral_id,
                views="He wants help with money but to choose his own shopping; he wants to "
                      "keep going to the cafe, with someone he trusts."),
            ADVOCATE, target=enquiry)
        check(views.duty.applies and views.duty.met,
              f"after the advocate's views the duty should be met: {views.duty}")

        self.step("GetAdvocacyDuty after advocacy: applies, met")
        duty = self.duty(enquiry_id)
        check(duty.duty.applies and duty.duty.met, f"duty not met: {duty.duty}")
        check(duty.version == hub.versions.get(enquiry),
              f"GetAdvocacyDuty version {duty.version} != {hub.versions.get(enquiry)}")

        self.step("ConcludeEnquiry succeeds")
        concluded = hub.command(hub.enquiry.ConcludeEnquiry,
                                self.conclude_request(enquiry_id, outcome_ids),
                                OFFICER, target=enquiry)
        check(not concluded.result.replayed, "a first conclusion came back as replayed")

        self.step("the manager closes the enquiry")
        hub.command(
            hub.enquiry.CloseEnquiry,
            pb.enquiry.CloseEnquiryRequest(
                enquiry_id=enquiry_id, reason=r.CLOSURE_REASON_OUTCOMES_MET,
                adults_view="Through his advocate: he is happy his money is safe and wants "
                            "to keep seeing his support worker.",
                referrer_informed=True, others_informed=True, sar_considered=True,
                sar_referred=False, notes="SAR criteria considered: not met."),
            MANAGER, target=enquiry)

        self.step("a closed enquiry takes nothing more")
        hc.expect_refusal(
            lambda: hub.command(
                hub.enquiry.RecordRiskAssessment,
                pb.enquiry.RecordRiskAssessmentRequest(enquiry_id=enquiry_id,
                                                       dangers="late entry"),
                OFFICER, target=enquiry),
            FAILED_PRECONDITION, "closed")

        print(f"  concern {concern_id}, enquiry {enquiry_id}: concluded and closed", flush=True)


def check(condition, message: str) -> None:
    if not condition:
        raise AssertionError(message)


# ---- hubd ----

class Hubd:
    """hubd as a child process, on 127.0.0.1:0 over a fresh data directory."""

    def __init__(self, binary: str, repo: str, workdir: str):
        self.port_file = os.path.join(workdir, "port")
        self.log_path = os.path.join(workdir, "hubd.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [binary, "--listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0",
             f"--port_file={self.port_file}",
             f"--data_dir={os.path.join(workdir, 'data')}",
             f"--partnership={os.path.join(repo, 'deploy', 'partnership.example.textproto')}",
             f"--agreement={os.path.join(repo, 'deploy', 'agreement.example.textproto')}",
             "--dev_identity_from_metadata"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_for_port(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"hubd exited with {self.process.returncode} before "
                                     "writing its port file")
            try:
                with open(self.port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    return int(text)
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"hubd wrote no port file within {timeout:.0f}s")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"hubd did not exit within {timeout:.0f}s of SIGTERM") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    hc.add_stubs_argument(parser)
    parser.add_argument("hubd", help="path of the hubd binary")
    parser.add_argument("repo", nargs="?",
                        default=os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                             "..", "..", "..")),
                        help="repository root (for deploy/partnership.example.textproto)")
    args = parser.parse_args()
    pb = hc.load_stubs(args.stubs)

    started = time.monotonic()
    print("scenario (c): s42 enquiry, lacks capacity, no appropriate individual -> advocacy",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="hub-py-scenario-") as workdir:
        hubd = Hubd(args.hubd, args.repo, workdir)
        scenario = None
        try:
            port = hubd.wait_for_port()
            with hc.HubClient(f"127.0.0.1:{port}", pb) as hub:
                hub.wait_ready()
                scenario = Scenario(hub)
                scenario.run()
            status = hubd.stop()
            if status != 0:
                raise AssertionError(f"hubd exited with {status} after SIGTERM, expected 0")
        except (AssertionError, hc.HubError) as err:
            where = scenario.step_name if scenario else "starting hubd"
            print(f"FAILED at step '{where}': {err}", file=sys.stderr)
            hubd.kill()
            print(f"--- hubd log (tail) ---\n{hubd.log_tail()}", file=sys.stderr)
            return 1
        except BaseException:
            traceback.print_exc()
            hubd.kill()
            print(f"--- hubd log (tail) ---\n{hubd.log_tail()}", file=sys.stderr)
            return 1
        finally:
            hubd.kill()
            hubd.log.close()
    print(f"PASSED in {time.monotonic() - started:.2f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
