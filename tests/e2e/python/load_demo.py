#!/usr/bin/python3
"""Loads a few demo cases into a RUNNING hub, through the public gRPC API.

    /usr/bin/python3 load_demo.py [--server 127.0.0.1:50051] [--stubs DIR]

(deploy/load-demo.sh generates the stubs and runs this.) The hub must trust development
identity metadata (hubd --dev_identity_from_metadata, as deploy/run-hub.sh starts it).

Every person, place and organisation here is fictional: "Northshire" is the example
partnership (deploy/partnership.example.textproto), NHS numbers are in the never-issued 999
range, phone numbers in Ofcom's drama range. The cases, by stage:

  1. police   raised only                       Doris Example, domestic abuse by her son
  2. health   triaged red, researched           Albert Sample, self-neglect on admission
  3. care     s42 enquiry, advocate allocated   Ivy Placeholder, neglect in a care home
  4. social   s42 enquiry concluded and closed  Sam Demonstration, financial abuse by a lodger

Then it shows how case 3 looks to four agencies (the information sharing agreement at work:
each sees different categories, and each read lands in the disclosure log).

Running it again adds new concerns; the people are linked by NHS number (episode 2, 3 ...).
"""

import argparse
import datetime
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hub_client as hc  # noqa: E402

# Who does what (agency ids of the example partnership).
POLICE = hc.Who("police-northshire", "pc.demo.0000", ["referrer"])
ACUTE = hc.Who("nhs-northshire-acute", "ward.nurse.demo", ["referrer"])
CARE_HOME = hc.Who("care-brightwater", "care.manager.demo", ["referrer"])
SOCIAL_WORKER = hc.Who("asc-northshire", "social.worker.demo", ["referrer"])
TRIAGE = hc.Who("asc-northshire", "mash.triage.demo", ["mash_triage"])
MANAGER = hc.Who("asc-northshire", "sg.manager.demo", ["safeguarding_manager"])
OFFICER = hc.Who("asc-northshire", "enquiry.officer.demo", ["enquiry_officer"])
GP_RESEARCHER = hc.Who("gp-riverside", "gp.researcher.demo", ["mash_researcher"])
HOUSING_RESEARCHER = hc.Who("housing-northshire", "housing.researcher.demo",
                            ["mash_researcher"])
COMMUNITY_RESEARCHER = hc.Who("nhs-northshire-community", "community.researcher.demo",
                              ["mash_researcher"])
ADVOCATE = hc.Who("advocacy-northshire", "advocate.demo", ["advocate"])


class Loader:
    def __init__(self, hub: hc.HubClient):
        self.hub = hub
        self.pb = hub.pb
        self.r = hub.pb.reference
        self.v = hub.pb.values
        self.now = hc.now_utc()

    # ---- how one case looks to different agencies ----

    def show_views(self, concern_id):
        r = self.r
        short = lambda c: r.InformationCategory.Name(c)[len("INFORMATION_CATEGORY_"):].lower()
        print(f"\nhow concern {concern_id} looks to four agencies:")
        for label, who, purpose in [
                ("lead enquiry officer", OFFICER, r.PURPOSE_SAFEGUARDING_ENQUIRY),
                ("advocate", ADVOCATE, r.PURPOSE_SAFEGUARDING_ENQUIRY),
                ("community health researcher", COMMUNITY_RESEARCHER, r.PURPOSE_RESEARCH),
                ("the care home (source of risk)", CARE_HOME, r.PURPOSE_CARE_PROVISION)]:
            request = self.pb.views.GetCaseRequest(concern_id=concern_id)
            request.header.purpose = purpose
            request.header.min_position = self.hub.last_position
            try:
                view = self.hub.query(self.hub.views.GetCase, request, who).view
            except hc.HubError as err:
                print(f"  {label:32} refused: {err}")
                continue
            print(f"  {label:32} sees    {', '.join(short(c) for c in view.permitted)}")
            withheld = ', '.join(short(c) for c in view.withheld) or "(nothing)"
            print(f"  {'':32} withheld {withheld}")

    # ---- steps shared by the cases ----

    def raise_concern(self, who, adult, details, label):
        raised = self.hub.command(
            self.hub.intake.RaiseConcern,
            self.pb.intake.RaiseConcernRequest(adult=adult, details=details), who, creates=True)
        self.hub.track(hc.concern_key(raised.concern_id), raised.result)
        linked = " (linked to an existing person)" if raised.linked_to_existing_person else ""
        # The hub tells a raiser of the adult's record only what it already knew (the MASH
        # sees it all); an empty person id means it was told nothing.
        person = (f"  person   {raised.person_id}  episode {raised.episode}{linked}"
                  if raised.person_id else "  person   (the MASH's to see)")
        print(f"\n{label}\n  concern  {raised.concern_id}  raised by {who.agency}\n{person}")
        return raised.concern_id

    def triage(self, concern_id, rating, rationale):
        triaged = self.hub.command(
            self.hub.mash.TriageConcern,
            self.pb.mash.TriageConcernRequest(concern_id=concern_id, rating=rating,
                                              rationale=rationale),
            TRIAGE, target=hc.concern_key(concern_id))
        label = self.r.RagRating.Name(rating)[len("RAG_RATING_"):].lower()
        print(f"  triaged  {label}, decision due {triaged.decision_due_at.ToJsonString()}")

    def research(self, concern_id, agency_id, questions, researcher, answer="",
                 nothing_known=False, markings=()):
        concern = hc.concern_key(concern_id)
        asked = self.hub.command(
            self.hub.mash.RequestResearch,
            self.pb.mash.RequestResearchRequest(concern_id=concern_id, agency_id=agency_id,
                                                questions=questions),
            TRIAGE, target=concern)
        self.hub.command(
            self.hub.mash.AnswerResearch,
            self.pb.mash.AnswerResearchRequest(concern_id=concern_id,
                                               request_id=asked.request_id, answer=answer,
                                               nothing_known=nothing_known,
                                               markings=list(markings)),
            researcher, target=concern)
        print(f"  research {asked.request_id}  asked of and answered by {agency_id}")

    def open_s42(self, concern_id, rationale, feedback):
        decided = self.hub.command(
            self.hub.mash.RecordThresholdDecision,
            self.pb.mash.RecordThresholdDecisionRequest(
                concern_id=concern_id, has_care_and_support_needs=True,
                experiencing_or_at_risk=True, unable_to_protect_self=True,
                route=self.r.THRESHOLD_ROUTE_S42_ENQUIRY, rationale=rationale,
                referrer_feedback_given=True, referrer_feedback=feedback),
            MANAGER, target=hc.concern_key(concern_id))
        self.hub.track(hc.enquiry_key(decided.enquiry_id), decided.enquiry_result)
        print(f"  enquiry  {decided.enquiry_id}  (s42)")
        self.hub.command(
            self.hub.enquiry.AssignLead,
            self.pb.enquiry.AssignLeadRequest(
                enquiry_id=decided.enquiry_id, lead_agency_id="asc-northshire",
                officer_name="Demo Enquiry Officer", officer_user_id=OFFICER.user),
            MANAGER, target=hc.enquiry_key(decided.enquiry_id))
        return decided.enquiry_id

    def on_enquiry(self, method, enquiry_id, who=OFFICER, **fields):
        """Sends Enquiry.<method> or Advocacy.<method> about `enquiry_id`."""
        for stub, messages in ((self.hub.enquiry, self.pb.enquiry),
                               (self.hub.advocacy, self.pb.advocacy)):
            if hasattr(stub, method):
                request = getattr(messages, f"{method}Request")(enquiry_id=enquiry_id, **fields)
                return self.hub.command(getattr(stub, method), request, who,
                                        target=hc.enquiry_key(enquiry_id))
        raise ValueError(f"no Enquiry or Advocacy method {method}")

    def adult(self, nhs_prefix, given, family, born, postcode, gender, support, **extra):
        v, r = self.v, self.r
        return v.AdultDetails(
            identifiers=[v.Identifier(kind=r.IDENTIFIER_KIND_NHS_NUMBER,
                                      value=hc.nhs_number(nhs_prefix))],
            name=v.PersonName(given=given, family=family),
            date_of_birth=v.Date(year=born[0], month=born[1], day=born[2]),
            address=v.Address(lines=extra.pop("lines", ["Northshire"]), postcode=postcode),
            gender=gender, ethnicity_group=r.ETHNICITY_GROUP_NOT_KNOWN,
            primary_support_reason=support, **extra)

    # ---- the cases ----

    def police_raised_only(self):
        r, v = self.r, self.v
        self.raise_concern(
            POLICE,
            self.adult("999000001", "Doris", "Example", (1944, 2, 29), "NS2 3DE",
                       r.GENDER_FEMALE, r.PRIMARY_SUPPORT_REASON_PHYSICAL,
                       lines=["4 Sample Road", "Northshire"],
                       household=v.Household(lives_alone=False,
                                             notes="Lives with her adult son")),
            v.ConcernDetails(
                what_happened="Police attended after a neighbour heard shouting. Mrs Example had "
                              "bruising to both forearms and said her son grabs her when he "
                              "has been drinking.",
                types_of_risk=[r.TYPE_OF_RISK_PHYSICAL_ABUSE, r.TYPE_OF_RISK_DOMESTIC_ABUSE,
                               r.TYPE_OF_RISK_PSYCHOLOGICAL_ABUSE],
                location_of_risk=r.LOCATION_OF_RISK_OWN_HOME,
                sources_of_risk=[v.SourceOfRiskDetails(
                    category=r.SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL, relationship="son",
                    notes="Alcohol use; no previous convictions on the demo system")],
                immediate_actions_taken="Son left to stay with a friend overnight; DASH "
                                        "completed (medium).",
                referrer=v.Referrer(name="PC Demo Constable", role="PC 0000",
                                    organisation="Northshire Police", phone="01632 960010"),
                consent=v.Consent(adult_aware=True, status=r.CONSENT_STATUS_GIVEN),
                desired_outcomes=[
                    v.DesiredOutcome(text="I want to feel safe in my own home.",
                                     kind=r.DESIRED_OUTCOME_KIND_ABUSE_TO_STOP,
                                     expressed_by=r.EXPRESSED_BY_ADULT),
                    v.DesiredOutcome(text="I want my son to get help, not to be arrested.",
                                     kind=r.DESIRED_OUTCOME_KIND_SOMETHING_ELSE,
                                     expressed_by=r.EXPRESSED_BY_ADULT,
                                     achievability_note="Discussed that the police decide on "
                                                        "any prosecution."),
                ],
                adults_views="She loves her son and wants him to stop drinking.",
                external_reference="PPN-DEMO-0001"),
            "1. Police PPN: Doris Example (raised only)")
        print("  stage    raised; awaiting MASH triage")

    def health_triaged_and_researched(self):
        r, v = self.r, self.v
        concern_id = self.raise_concern(
            ACUTE,
            self.adult("999000002", "Albert", "Sample", (1958, 11, 5), "NS4 1AB",
                       r.GENDER_MALE, r.PRIMARY_SUPPORT_REASON_PHYSICAL,
                       lines=["12 Placeholder Terrace", "Northshire"],
                       household=v.Household(lives_alone=True)),
            v.ConcernDetails(
                what_happened="Admitted by ambulance with grade 3 pressure ulcers and "
                              "dehydration. Paramedics describe the house as without heating, "
                              "hoarded to the ceiling, with no working toilet.",
                types_of_risk=[r.TYPE_OF_RISK_SELF_NEGLECT],
                location_of_risk=r.LOCATION_OF_RISK_OWN_HOME,
                referrer=v.Referrer(name="Nurse Demo Ward", role="ward sister",
                                    organisation="Northshire University Hospitals",
                                    phone="01632 960020"),
                consent=v.Consent(
                    adult_aware=True, status=r.CONSENT_STATUS_DECLINED,
                    override_grounds=[r.OVERRIDE_GROUND_VITAL_INTERESTS],
                    override_justification="Serious risk to life if discharged home as it is.",
                    adult_informed_note="Told the referral would be made and why."),
                adults_views="He wants to go home and says he manages fine.",
                external_reference="NUH-DEMO-0002"),
            "2. Acute hospital: Albert Sample (triaged and researched)")
        self.triage(concern_id, r.RAG_RATING_RED,
                    "Risk to life on discharge; discharge planning starts tomorrow.")
        self.research(concern_id, "gp-riverside",
                      "Known to the practice? Recent contact, capacity concerns, medication.",
                      GP_RESEARCHER,
                      answer="Last seen 14 months ago. Declined district nurse visits twice. "
                             "No capacity concerns recorded.",
                      markings=[r.HANDLING_MARKING_MASH_DECISION_MAKERS_ONLY])
        self.research(concern_id, "housing-northshire",
                      "Tenancy status, repairs history, any visits refused?",
                      HOUSING_RESEARCHER, nothing_known=True)
        print("  stage    triaged and researched; awaiting the threshold decision")

    def care_home_enquiry_with_advocacy(self):
        r, v = self.r, self.v
        concern_id = self.raise_concern(
            CARE_HOME,
            self.adult("999000003", "Ivy", "Placeholder", (1936, 7, 1), "NS7 9ZZ",
                       r.GENDER_FEMALE, r.PRIMARY_SUPPORT_REASON_MEMORY_AND_COGNITION,
                       lines=["Brightwater House (demo)", "Northshire"]),
            v.ConcernDetails(
                what_happened="Night staff found Mrs Placeholder on the floor of her room at "
                              "06:00; the call bell had been unplugged and her 2-hourly "
                              "repositioning chart was blank overnight.",
                types_of_risk=[r.TYPE_OF_RISK_NEGLECT_AND_ACTS_OF_OMISSION,
                               r.TYPE_OF_RISK_ORGANISATIONAL_ABUSE],
                location_of_risk=r.LOCATION_OF_RISK_CARE_HOME_RESIDENTIAL,
                sources_of_risk=[v.SourceOfRiskDetails(
                    category=r.SOURCE_OF_RISK_SERVICE_PROVIDER, relationship="paid carers",
                    in_position_of_trust=True)],
                referrer=v.Referrer(name="Demo Registered Manager", role="registered manager",
                                    organisation="Brightwater Care Homes",
                                    phone="01632 960080"),
                consent=v.Consent(
                    adult_aware=False, status=r.CONSENT_STATUS_NOT_ASKED,
                    not_asked_reason=r.CONSENT_NOT_ASKED_REASON_LACKS_CAPACITY,
                    override_grounds=[r.OVERRIDE_GROUND_LACKS_CAPACITY,
                                      r.OVERRIDE_GROUND_RISK_TO_OTHERS],
                    override_justification="Advanced dementia; other residents on the same "
                                           "night rota may be at risk."),
                others_at_risk=v.OthersAtRisk(adults_at_risk=True,
                                              details="Other residents on the first floor"),
                external_reference="BW-DEMO-0003"),
            "3. Care provider: Ivy Placeholder (s42 enquiry with advocacy)")
        self.triage(concern_id, r.RAG_RATING_AMBER,
                    "Injury and possible wider practice issue; she is safe today.")
        self.research(concern_id, "nhs-northshire-community",
                      "District nursing involvement and pressure care history.",
                      COMMUNITY_RESEARCHER,
                      answer="Weekly district nurse visits; skin intact at last visit.")
        enquiry_id = self.open_s42(concern_id,
                                   "Care and support needs; neglect; cannot protect herself.",
                                   "Registered manager told a s42 enquiry is open.")
        self.on_enquiry(
            "RecordStrategyDiscussion", enquiry_id,
            held_at=hc.ts(self.now - datetime.timedelta(hours=1)),
            participants=["Demo Enquiry Officer (ASC)", "Demo Registered Manager",
                          "Demo District Nurse"],
            decisions=["Night checks audited for all first-floor residents"],
            actions=[v.AgreedAction(description="Audit night repositioning charts for 4 weeks",
                                    owner_agency_id="care-brightwater",
                                    owner_name="Demo Registered Manager",
                                    due_at=hc.ts(self.now + datetime.timedelta(days=7)))])
        self.on_enquiry(
            "RecordCapacityAssessment", enquiry_id,
            decision="whether to stay at Brightwater House",
            assessed_at=hc.ts(self.now - datetime.timedelta(minutes=30)),
            assessor="Demo Enquiry Officer", finding=r.CAPACITY_FINDING_LACKS_CAPACITY,
            evidence="Could not recall where she lives or weigh the options, with support.")
        self.on_enquiry(
            "AssessSubstantialDifficulty", enquiry_id, understanding=True, retaining=True,
            using_or_weighing=True, communicating=False, notes="Advanced dementia.")
        self.on_enquiry(
            "AssessAppropriateIndividual", enquiry_id, exists=False,
            notes="No family or friends in contact.")
        referred = self.on_enquiry(
            "ReferForAdvocacy", enquiry_id, provider_agency_id="advocacy-northshire",
            reason="Care Act s68: substantial difficulty, no appropriate individual.")
        self.on_enquiry("AcceptAdvocacyReferral", enquiry_id, who=ADVOCATE,
                        referral_id=referred.referral_id)
        allocated = self.on_enquiry(
            "AllocateAdvocate", enquiry_id, who=ADVOCATE, referral_id=referred.referral_id,
            advocate_name="Demo Advocate", advocate_user_id=ADVOCATE.user,
            contact="01632 960070")
        print(f"  advocacy referral {referred.referral_id} accepted; advocate allocated")
        print(f"  duty     {allocated.duty.explanation}")
        print("  stage    enquiry in progress with an advocate")
        return concern_id

    def social_care_closed(self):
        r, v = self.r, self.v
        concern_id = self.raise_concern(
            SOCIAL_WORKER,
            self.adult("999000004", "Sam", "Demonstration", (1979, 3, 15), "NS3 5QQ",
                       r.GENDER_MALE, r.PRIMARY_SUPPORT_REASON_PHYSICAL,
                       lines=["7 Fictional Close", "Northshire"],
                       communication_needs=v.CommunicationNeeds(preferred_language="English")),
            v.ConcernDetails(
                what_happened="At his care review Mr Demonstration said his lodger has been "
                              "using his bank card; about 900 pounds is missing over two "
                              "months.",
                types_of_risk=[r.TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE],
                location_of_risk=r.LOCATION_OF_RISK_OWN_HOME,
                sources_of_risk=[v.SourceOfRiskDetails(
                    category=r.SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL, relationship="lodger")],
                referrer=v.Referrer(name="Demo Social Worker", role="social worker",
                                    organisation="Northshire Council Adult Social Care",
                                    phone="01632 960001"),
                consent=v.Consent(adult_aware=True, status=r.CONSENT_STATUS_GIVEN),
                adults_views="He wants the lodger to leave and his money back."),
            "4. Adult social care: Sam Demonstration (concluded and closed)")
        self.triage(concern_id, r.RAG_RATING_GREEN, "Ongoing but no immediate danger.")
        enquiry_id = self.open_s42(concern_id,
                                   "Care and support needs; financial abuse; physically "
                                   "unable to stop the lodger.",
                                   "Social worker told a s42 enquiry is open.")
        revised = self.on_enquiry(
            "ReviseDesiredOutcomes", enquiry_id,
            added=[v.DesiredOutcome(text="I want him out of my house.",
                                    kind=r.DESIRED_OUTCOME_KIND_PERSON_TO_STAY_AWAY,
                                    expressed_by=r.EXPRESSED_BY_ADULT),
                   v.DesiredOutcome(text="I want my money back.",
                                    kind=r.DESIRED_OUTCOME_KIND_SOMETHING_ELSE,
                                    expressed_by=r.EXPRESSED_BY_ADULT,
                                    achievability_note="Explained recovery depends on the bank "
                                                       "and the police.")],
            reason="Asked at the first enquiry visit.")
        self.on_enquiry("RecordSpokenToAlone", enquiry_id,
                        spoken=v.SpokenToAlone(spoken_to_alone=True))
        self.on_enquiry(
            "RecordRiskAssessment", enquiry_id, dangers="Lodger has his PIN and a key.",
            safety="Bank has stopped the card.", strengths="Clear about what he wants.")
        self.on_enquiry(
            "RecordProtectionPlan", enquiry_id, agreed_with_adult=True,
            items=[v.PlanItem(risk="Lodger keeps a key", action="Locks changed",
                              by_whom="Demo Social Worker", by_agency_id="asc-northshire",
                              by_when=hc.ts(self.now + datetime.timedelta(days=2)))],
            next_review_at=hc.ts(self.now + datetime.timedelta(days=14)))
        ids = list(revised.added_outcome_ids)
        self.on_enquiry(
            "ConcludeEnquiry", enquiry_id,
            risks=[v.ConcludedRisk(type=r.TYPE_OF_RISK_FINANCIAL_OR_MATERIAL_ABUSE,
                                   location=r.LOCATION_OF_RISK_OWN_HOME,
                                   source=r.SOURCE_OF_RISK_OTHER_KNOWN_TO_INDIVIDUAL)],
            action_and_result=r.ACTION_AND_RESULT_RISK_IDENTIFIED_ACTION_TAKEN,
            risk_outcome=r.RISK_OUTCOME_REMOVED,
            capacity=r.CAPACITY_ANSWER_DID_NOT_LACK_CAPACITY,
            outcomes_asked=r.OUTCOMES_ASKED_YES_EXPRESSED,
            outcome_results=[
                v.OutcomeResult(outcome_id=ids[0], achievement=r.OUTCOME_ACHIEVEMENT_FULLY,
                                adults_view="He has gone and the locks are changed."),
                v.OutcomeResult(outcome_id=ids[1], achievement=r.OUTCOME_ACHIEVEMENT_PARTIALLY,
                                adults_view="The bank refunded some of it."),
            ],
            experience=v.ExperienceAnswers(
                answered_by=r.EXPRESSED_BY_ADULT, got_goals=r.EXPERIENCE_ANSWER_PARTLY,
                chance_to_say=r.EXPERIENCE_ANSWER_YES, listened_to=r.EXPERIENCE_ANSWER_YES,
                acted_on_wishes=r.EXPERIENCE_ANSWER_YES, feel_safe=r.EXPERIENCE_ANSWER_YES,
                happier=r.EXPERIENCE_ANSWER_YES),
            summary="Lodger left; locks changed; bank refunded part of the loss; reported to "
                    "police.")
        self.on_enquiry(
            "CloseEnquiry", enquiry_id, who=MANAGER, reason=r.CLOSURE_REASON_OUTCOMES_MET,
            adults_view="Happy to close; knows how to get back in touch.",
            referrer_informed=True, sar_considered=True, sar_referred=False)
        print("  stage    concluded and closed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="127.0.0.1:50051", help="hubd address")
    parser.add_argument("--credentials",
                        help="trial credentials directory (deploy/make-trial-credentials.sh); "
                             "without it, development identity metadata")
    parser.add_argument("--hubctl", help="hubctl binary, to mint practitioners' tokens")
    parser.add_argument("--issuer", default="https://idp.northshire.example/trial")
    parser.add_argument("--audience", default="northshire-safeguarding-hub")
    hc.add_stubs_argument(parser)
    args = parser.parse_args()
    pb = hc.load_stubs(args.stubs)
    credentials = None
    if args.credentials:
        credentials = hc.TrialCredentials(args.credentials, args.hubctl, args.issuer,
                                          args.audience)
    with hc.HubClient(args.server, pb, credentials=credentials) as hub:
        hub.wait_ready()
        loader = Loader(hub)
        print(f"loading demo cases into {args.server}")
        try:
            loader.police_raised_only()
            loader.health_triaged_and_researched()
            care_home = loader.care_home_enquiry_with_advocacy()
            loader.social_care_closed()
            loader.show_views(care_home)
        except hc.HubError as err:
            print(f"\nload_demo: refused: {err}", file=sys.stderr)
            return 1
    print("\ndone: 4 demo cases loaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
