//! The ISO/IEC 42001:2023 Annex A controls as the report presents them: each control's id and
//! title, the title of its A.x group, how far the evidence log can evidence it, which records
//! and fields do, and what the auditor must ask for elsewhere because the log cannot show it.
//!
//! Owns: the 38 control titles (A.2 to A.10, in document order) and, per control, that
//! judgement. Deliberately does not: make a compliance claim (a control the log evidences is
//! evidence of operation, not of conformity), nor decide which ids a rule may cite — that is
//! validated in `src/policy/load/controls.rs`, and the tests here check that both lists agree.

/// How far the evidence log can evidence a control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Coverage {
    /// The log's records evidence the control's operation per call.
    Records,
    /// The log shows part of it; the rest is documented elsewhere.
    Partly,
    /// The log cannot evidence it.
    None,
}

impl Coverage {
    /// `records`, `partly`, `none`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Coverage::Records => "records",
            Coverage::Partly => "partly",
            Coverage::None => "none",
        }
    }
}

/// One Annex A control and what the evidence log can say about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Control {
    /// Control id, e.g. `A.6.2.8`.
    pub id: &'static str,
    /// Control title, as in Annex A.
    pub title: &'static str,
    /// The title of the control's A.x group, e.g. `AI system life cycle` for A.6.
    pub clause: &'static str,
    /// How far the log evidences the control.
    pub coverage: Coverage,
    /// One sentence naming the records and fields that evidence it (empty for [`Coverage::None`]).
    pub evidenced_by: &'static str,
    /// One sentence saying what the auditor must request elsewhere.
    pub ask_for: &'static str,
}

const A2: &str = "Policies related to AI";
const A3: &str = "Internal organization";
const A4: &str = "Resources for AI systems";
const A5: &str = "Assessing impacts of AI systems";
const A6: &str = "AI system life cycle";
const A7: &str = "Data for AI systems";
const A8: &str = "Information for interested parties of AI systems";
const A9: &str = "Use of AI systems";
const A10: &str = "Third-party and customer relationships";

/// The Annex A controls in document order.
pub(crate) const CONTROLS: &[Control] = &[
    // A.2 Policies related to AI
    Control {
        id: "A.2.2",
        title: "AI policy",
        clause: A2,
        coverage: Coverage::Partly,
        evidenced_by:
            "The policy bundle archived by content hash holds the machine-enforced rules \
            and objectives derived from the AI policy, and decision records name the bundle \
            version and content hash applied to each call.",
        ask_for: "The documented AI policy, its approval by top management and evidence that it \
            was communicated; the bundle implements only the part of it that the gateway can \
            enforce.",
    },
    Control {
        id: "A.2.3",
        title: "Alignment with other organizational policies",
        clause: A2,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The analysis showing how the AI policy relates to the information security, \
            privacy, quality and other organizational policies, and who keeps it current.",
    },
    Control {
        id: "A.2.4",
        title: "Review of the AI policy",
        clause: A2,
        coverage: Coverage::Partly,
        evidenced_by:
            "Policy activation events record each change of the enforced bundle with its \
            old and new content hash, approver and change reference.",
        ask_for: "The AI policy review minutes and their schedule, including reviews that \
            changed no rule.",
    },
    // A.3 Internal organization
    Control {
        id: "A.3.2",
        title: "AI roles and responsibilities",
        clause: A3,
        coverage: Coverage::Partly,
        evidenced_by: "The archived inventory names an owner per AI system, policy activation \
            events name the approver of each bundle, and review dispositions name the reviewer.",
        ask_for: "The documented allocation of AI roles and responsibilities and evidence that \
            the named owners, approvers and reviewers hold those roles.",
    },
    Control {
        id: "A.3.3",
        title: "Reporting of concerns",
        clause: A3,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The process and channels for reporting concerns about AI systems, how \
            reporters are protected, and the record of concerns raised and how they were \
            handled.",
    },
    // A.4 Resources for AI systems
    Control {
        id: "A.4.2",
        title: "Resource documentation",
        clause: A4,
        coverage: Coverage::Partly,
        evidenced_by: "The archived inventory lists each AI system's approved models, upstreams \
            and data classes, and decision records name the requested model and upstream of \
            every call with its model_approved fact.",
        ask_for: "The documentation of all resources each AI system relies on across its life \
            cycle, beyond the models and upstreams the gateway sees.",
    },
    Control {
        id: "A.4.3",
        title: "Data resources",
        clause: A4,
        coverage: Coverage::Partly,
        evidenced_by: "Decision and outcome records count the data-class findings per class in \
            each call's request and answer (never the text), against the data classes the \
            archived inventory approves for the AI system.",
        ask_for: "The documentation of the data each AI system uses for training, fine-tuning \
            and retrieval, with its categories, provenance and intended use.",
    },
    Control {
        id: "A.4.4",
        title: "Tooling resources",
        clause: A4,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The inventory of tools used to develop, deploy and operate the AI systems, \
            including aimsgate's own version and configuration, and how they are chosen and \
            maintained.",
    },
    Control {
        id: "A.4.5",
        title: "System and computing resources",
        clause: A4,
        coverage: Coverage::Partly,
        evidenced_by: "Decision records name the upstream serving each call, and outcome records \
            give its upstream status, latency, time to first byte, tokens and error kind.",
        ask_for: "The documentation of the hosting, computing capacity and provider services \
            each AI system relies on, and the capacity plans for them.",
    },
    Control {
        id: "A.4.6",
        title: "Human resources",
        clause: A4,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The records of the competence, training and assignment of the people working \
            on or with the AI systems.",
    },
    // A.5 Assessing impacts of AI systems
    Control {
        id: "A.5.2",
        title: "AI system impact assessment process",
        clause: A5,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The documented impact assessment process, its triggers and criteria, and the \
            list of assessments carried out under it.",
    },
    Control {
        id: "A.5.3",
        title: "Documentation of AI system impact assessments",
        clause: A5,
        coverage: Coverage::Partly,
        evidenced_by: "The archived inventory gives each AI system's risk tier and \
            impact-assessment reference, and decision records show whether each calling AI \
            system was registered.",
        ask_for: "The impact assessment documents the inventory references, with their approval \
            and retention.",
    },
    Control {
        id: "A.5.4",
        title: "Assessing AI system impact on individuals or groups of individuals",
        clause: A5,
        coverage: Coverage::Partly,
        evidenced_by: "Decision and outcome records count the personal-data classes found in each \
            call and whether each was redacted, blocked or allowed, for AI systems whose risk \
            tier the archived inventory gives.",
        ask_for: "The assessments of each AI system's impact on individuals and groups, such as \
            fairness, privacy and rights, and the decisions on the residual impact accepted.",
    },
    Control {
        id: "A.5.5",
        title: "Assessing societal impacts of AI systems",
        clause: A5,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The assessments of each AI system's societal impacts, such as on the \
            environment, the economy and public services.",
    },
    // A.6 AI system life cycle
    Control {
        id: "A.6.1.2",
        title: "Objectives for responsible development of AI system",
        clause: A6,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The documented objectives for responsible development and how they are \
            reflected in each AI system's requirements and design.",
    },
    Control {
        id: "A.6.1.3",
        title: "Processes for responsible AI system design and development",
        clause: A6,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The documented design and development processes with their stages, reviews \
            and approval gates, and records of their use.",
    },
    Control {
        id: "A.6.2.2",
        title: "AI system requirements and specification",
        clause: A6,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The requirements and specifications of each AI system, new or materially \
            changed.",
    },
    Control {
        id: "A.6.2.3",
        title: "Documentation of AI system design and development",
        clause: A6,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The design and development documentation of each AI system, such as \
            architecture, model choice and the reasons for it.",
    },
    Control {
        id: "A.6.2.4",
        title: "AI system verification and validation",
        clause: A6,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The verification and validation plans, acceptance criteria and test results \
            of each AI system, and the results of the policy bundle's own test cases.",
    },
    Control {
        id: "A.6.2.5",
        title: "AI system deployment",
        clause: A6,
        coverage: Coverage::Partly,
        evidenced_by: "Policy activation events show when a bundle with an AI system's inventory \
            entry and approvals came into force, with approver and change reference, and \
            decision records show when the AI system called through the gateway.",
        ask_for: "The deployment plan and release approvals of each AI system, including \
            deployments that do not call through aimsgate.",
    },
    Control {
        id: "A.6.2.6",
        title: "AI system operation and monitoring",
        clause: A6,
        coverage: Coverage::Partly,
        evidenced_by: "Decision records give each call's enforced effect, review flag and \
            monitor-mode would-have effects, outcome records its upstream status, latency, \
            tokens and error kind, and events the fail-open or fail-closed mode changes and \
            review dispositions.",
        ask_for: "The monitoring plan, who acts on what and the records of actions taken, and \
            the monitoring of model behaviour, such as answer quality and drift, that the \
            gateway cannot see.",
    },
    Control {
        id: "A.6.2.7",
        title: "AI system technical documentation",
        clause: A6,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The technical documentation of each AI system provided to users, operators \
            and, where required, authorities.",
    },
    Control {
        id: "A.6.2.8",
        title: "AI system recording of event logs",
        clause: A6,
        coverage: Coverage::Records,
        evidenced_by: "Every call has a signed decision record and outcome record, and events \
            record log start, crash recovery, key rotation, signed checkpoints, the retention \
            policy and retention prunes, so the log's completeness and integrity can be \
            verified.",
        ask_for: "The event logs kept inside the AI systems themselves, and the retention \
            requirement the configured retention period was set against.",
    },
    // A.7 Data for AI systems
    Control {
        id: "A.7.2",
        title: "Data for development and enhancement of AI system",
        clause: A7,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The data management process for developing and enhancing the AI systems, and \
            the records of its use.",
    },
    Control {
        id: "A.7.3",
        title: "Acquisition of data",
        clause: A7,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The records of how data for the AI systems was acquired, its sources and the \
            rights to use it.",
    },
    Control {
        id: "A.7.4",
        title: "Quality of data for AI systems",
        clause: A7,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The data quality requirements for each AI system and the records of data \
            measured against them.",
    },
    Control {
        id: "A.7.5",
        title: "Data provenance",
        clause: A7,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The records of the provenance of the data used by each AI system over its \
            life cycle.",
    },
    Control {
        id: "A.7.6",
        title: "Data preparation",
        clause: A7,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The documented data preparation methods for each AI system and the criteria \
            for choosing them; redaction at the gateway is not data preparation in this sense.",
    },
    // A.8 Information for interested parties of AI systems
    Control {
        id: "A.8.2",
        title: "System documentation and information for users",
        clause: A8,
        coverage: Coverage::Partly,
        evidenced_by: "Decision records give the HTTP status of each call aimsgate answered \
            itself, and the archived rules the block message and fix users were shown.",
        ask_for: "The documentation and information given to the users of each AI system, such \
            as its capabilities, limits and that they are using AI.",
    },
    Control {
        id: "A.8.3",
        title: "External reporting",
        clause: A8,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The channel for interested parties to report adverse impacts of the AI \
            systems, and the record of reports received and their handling.",
    },
    Control {
        id: "A.8.4",
        title: "Communication of incidents",
        clause: A8,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The incident communication plan and the records of incidents communicated to \
            users and other interested parties.",
    },
    Control {
        id: "A.8.5",
        title: "Information for interested parties",
        clause: A8,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The decision on what information about the AI systems is given to interested \
            parties such as regulators, and the records of it being given.",
    },
    // A.9 Use of AI systems
    Control {
        id: "A.9.2",
        title: "Processes for responsible use of AI systems",
        clause: A9,
        coverage: Coverage::Partly,
        evidenced_by: "Decision records give the deciding rules with their cited Annex A \
            controls, the enforced effect and the review flag of each call, and review \
            dispositions record the named reviewer's outcome and note.",
        ask_for: "The documented processes for responsible use, and evidence that users know \
            them and that uses not routed through aimsgate follow them.",
    },
    Control {
        id: "A.9.3",
        title: "Objectives for responsible use of AI system",
        clause: A9,
        coverage: Coverage::Partly,
        evidenced_by: "The archived bundle states the objectives with their metrics and \
            thresholds, and the decision, outcome and review-disposition records hold the data \
            those metrics are computed from.",
        ask_for: "The approval and rationale of the objectives, and the minutes where results \
            against them were reviewed and acted on.",
    },
    Control {
        id: "A.9.4",
        title: "Intended use of the AI system",
        clause: A9,
        coverage: Coverage::Partly,
        evidenced_by: "The archived inventory gives each AI system's purpose and approved models, \
            upstreams and data classes, and decision records show whether each call came from \
            a registered AI system, its model_approved fact and the enforced effect.",
        ask_for: "The documented intended use of each AI system and the evidence that its use \
            outside the gateway stays within it.",
    },
    // A.10 Third-party and customer relationships
    Control {
        id: "A.10.2",
        title: "Allocating responsibilities",
        clause: A10,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The agreements allocating responsibilities across the AI system life cycle \
            between the organization, its suppliers and its customers.",
    },
    Control {
        id: "A.10.3",
        title: "Suppliers",
        clause: A10,
        coverage: Coverage::Partly,
        evidenced_by: "Decision records name the upstream and requested model of every call with \
            its model_approved fact, and outcome records the upstream status, latency and error \
            kind.",
        ask_for: "The supplier agreements, the due diligence on the model providers and the \
            reviews of their performance.",
    },
    Control {
        id: "A.10.4",
        title: "Customers",
        clause: A10,
        coverage: Coverage::None,
        evidenced_by: "",
        ask_for: "The customer agreements and expectations concerning the AI systems and how \
            they are met.",
    },
];

/// The control with this id, if Annex A has one.
#[cfg(test)]
pub(crate) fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::{control, Control, Coverage, CONTROLS};
    use std::collections::HashSet;

    /// The numeric parts of an id: `A.6.2.8` → `[6, 2, 8]`.
    fn parts(id: &str) -> Vec<u32> {
        let rest = id.strip_prefix("A.").unwrap();
        rest.split('.').map(|p| p.parse().unwrap()).collect()
    }

    #[test]
    fn annex_a_has_38_unique_controls_the_policy_accepts() {
        assert_eq!(CONTROLS.len(), 38);
        let ids: HashSet<&str> = CONTROLS.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), CONTROLS.len(), "duplicate ids");
        for c in CONTROLS {
            assert!(crate::policy::is_annex_a(c.id), "{} is not citable", c.id);
        }
    }

    #[test]
    fn annex_a_is_in_document_order() {
        assert_eq!(CONTROLS.first().map(|c| c.id), Some("A.2.2"));
        assert_eq!(CONTROLS.last().map(|c| c.id), Some("A.10.4"));
        for w in CONTROLS.windows(2) {
            assert!(
                parts(w[0].id) < parts(w[1].id),
                "{} before {}",
                w[0].id,
                w[1].id
            );
        }
    }

    #[test]
    fn annex_a_groups_share_one_clause_title() {
        for w in CONTROLS.windows(2) {
            let same_group = parts(w[0].id)[0] == parts(w[1].id)[0];
            assert_eq!(
                same_group,
                w[0].clause == w[1].clause,
                "{} / {}",
                w[0].id,
                w[1].id
            );
        }
        assert_eq!(
            control("A.6.2.8").map(|c| c.clause),
            Some("AI system life cycle")
        );
    }

    #[test]
    fn annex_a_lookup() {
        let c: &Control = control("A.6.2.8").unwrap();
        assert_eq!(c.coverage, Coverage::Records);
        assert_eq!(c.title, "AI system recording of event logs");
        assert!(control("A.11.1").is_none());
        assert!(control("A.6.2.9").is_none());
        assert_eq!(control("A.2.3").map(|c| c.coverage), Some(Coverage::None));
        assert_eq!(control("A.9.2").map(|c| c.coverage), Some(Coverage::Partly));
    }

    #[test]
    fn annex_a_texts_are_filled_in() {
        for c in CONTROLS {
            match c.coverage {
                Coverage::Records | Coverage::Partly => {
                    assert!(!c.evidenced_by.is_empty(), "{}: evidenced_by", c.id);
                    assert!(c.evidenced_by.ends_with('.'), "{}: evidenced_by", c.id);
                }
                Coverage::None => assert!(c.evidenced_by.is_empty(), "{}: evidenced_by", c.id),
            }
            assert!(
                !c.ask_for.is_empty() && c.ask_for.ends_with('.'),
                "{}: ask_for",
                c.id
            );
            assert!(!c.title.is_empty(), "{}: title", c.id);
            assert!(!c.clause.is_empty(), "{}: clause", c.id);
            for text in [c.title, c.clause, c.evidenced_by, c.ask_for] {
                assert!(!text.contains("  "), "{}: double space in {text:?}", c.id);
            }
        }
        let titles: HashSet<&str> = CONTROLS.iter().map(|c| c.title).collect();
        assert_eq!(titles.len(), CONTROLS.len(), "two controls share a title");
    }

    #[test]
    fn annex_a_coverage_serialises_in_snake_case() {
        for (coverage, json) in [
            (Coverage::Records, "\"records\""),
            (Coverage::Partly, "\"partly\""),
            (Coverage::None, "\"none\""),
        ] {
            assert_eq!(serde_json::to_string(&coverage).unwrap(), json);
            assert_eq!(serde_json::from_str::<Coverage>(json).unwrap(), coverage);
        }
    }
}
