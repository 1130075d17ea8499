"""Text the benchmark generator assembles documents from: 24 policy families and 46 control
templates that between them map to all 61 Trust Services Criteria. Our own wording throughout."""

from __future__ import annotations

CRITERIA = (
    [f"CC1.{i}" for i in range(1, 6)]
    + [f"CC2.{i}" for i in range(1, 4)]
    + [f"CC3.{i}" for i in range(1, 5)]
    + [f"CC4.{i}" for i in range(1, 3)]
    + [f"CC5.{i}" for i in range(1, 4)]
    + [f"CC6.{i}" for i in range(1, 9)]
    + [f"CC7.{i}" for i in range(1, 6)]
    + ["CC8.1", "CC9.1", "CC9.2"]
    + [f"A1.{i}" for i in range(1, 4)]
    + [f"C1.{i}" for i in range(1, 3)]
    + [f"PI1.{i}" for i in range(1, 6)]
    + ["P1.1", "P2.1", "P3.1", "P3.2", "P4.1", "P4.2", "P4.3", "P5.1", "P5.2"]
    + [f"P6.{i}" for i in range(1, 8)]
    + ["P7.1", "P8.1"]
)

# code: (slug, title, owner, approver, purpose, scope, roles, statements)
POLICIES: dict[str, tuple[str, str, str, str, str, str, tuple[str, ...], tuple[str, ...]]] = {
    "ISP": (
        "information-security",
        "Information Security Policy",
        "Head of Security",
        "CEO",
        (
            "This policy sets out how Acme Inc. governs information security for the Acme Platform: who decides, "
            "how the other security policies are written, approved and reviewed, and how the board oversees the program."
        ),
        "It applies to all employees, contractors and systems that store, process or transmit data for the Acme Platform.",
        (
            "The board of directors receives a security program report at least once per quarter.",
            "The Head of Security maintains the security roadmap and the register of policies.",
        ),
        (
            "Every security policy must name an owner role and an approver role in its header.",
            "Each policy must be reviewed and re-approved at least every 12 months.",
            "The board must receive a written security program update at least once per quarter.",
            "Security responsibilities must be written into the job description of every role that holds them.",
            "Policy changes must be published to the workforce within 10 business days of approval.",
            "The security program must be evaluated by an internal self-assessment at least twice per year.",
        ),
    ),
    "AUP": (
        "acceptable-use",
        "Acceptable Use Policy",
        "IT Manager",
        "COO",
        "This policy defines how workforce members may use company devices, accounts and networks.",
        "It covers company-issued laptops, mobile devices enrolled in device management, SaaS accounts and the office network.",
        ("Employees and contractors follow this policy and acknowledge it at onboarding and every year.",),
        (
            "Company laptops must run the managed endpoint protection agent at all times.",
            "Writing company data to removable storage media must be blocked on managed laptops.",
            "Personal accounts must not be used to store or share customer data.",
            "Unapproved software must not be installed on company laptops; the IT Manager keeps the allow list.",
            "Lost or stolen devices must be reported to the IT service desk within 24 hours.",
        ),
    ),
    "AC": (
        "access-control",
        "Access Control Policy",
        "Head of Security",
        "CTO",
        "This policy explains how access to the Acme Platform and internal systems is requested, approved, reviewed and removed.",
        "It covers the identity provider, the cloud console, production databases, the source repository and the ticketing system.",
        (
            "System owners approve access to the systems they own.",
            "The IT Manager runs provisioning and the quarterly access review.",
        ),
        (
            "Access must be granted only through an approved request in the ticketing system.",
            "Access must follow least privilege; administrative roles are granted per system, never globally.",
            "Production access must be removed within 1 business day of termination.",
            "User access to production systems must be reviewed by system owners every quarter.",
            "Shared accounts must not be used for interactive access to production.",
            "Role changes must trigger removal of access that the new role does not need within 5 business days.",
        ),
    ),
    "AUTH": (
        "authentication",
        "Authentication and Password Policy",
        "Head of Security",
        "CTO",
        "This policy sets the minimum strength of authentication for workforce and service accounts.",
        "It applies to every account in the identity provider and to every system that can use it for single sign-on.",
        ("The identity team administers the identity provider and its sign-on policies.",),
        (
            "Workforce access to company systems must use single sign-on through the identity provider where the system supports it.",
            "Multi-factor authentication must be enforced for all workforce accounts.",
            "Passwords must be at least 14 characters and checked against a list of breached passwords.",
            "Service account credentials must be stored in the secrets manager and rotated at least every 90 days.",
            "Sessions to the cloud console must expire after 12 hours.",
        ),
    ),
    "AM": (
        "asset-management",
        "Asset Management Policy",
        "IT Manager",
        "CTO",
        "This policy keeps an accurate inventory of the hardware, software and cloud resources that make up the Acme Platform.",
        "It covers laptops, mobile devices, cloud accounts, production services and third-party SaaS systems.",
        ("The IT Manager owns the hardware inventory; the Head of Infrastructure owns the cloud inventory.",),
        (
            "Every laptop must be recorded in the asset inventory before it is issued.",
            "Cloud resources must carry an owner tag; untagged resources are reported weekly.",
            "The system inventory and data flow diagrams must be reviewed every 6 months.",
            "Devices leaving service must be wiped with a method that leaves no recoverable data, and a certificate kept.",
        ),
    ),
    "CM": (
        "change-management",
        "Change Management Policy",
        "VP Engineering",
        "CTO",
        "This policy ensures that changes to the Acme Platform are authorized, tested and traceable.",
        "It covers application code, infrastructure as code, database schema changes and configuration of production services.",
        ("Engineers raise changes; a second engineer reviews them; the release manager schedules risky changes.",),
        (
            "Every production change must be made through a pull request in the source repository.",
            "Every pull request must be approved by one engineer other than its author before merge.",
            "The CI pipeline must pass all required checks before a change can be deployed.",
            "Emergency changes must be reviewed after the fact within 2 business days.",
            "Production configuration must match the approved baseline; drift must be reported daily.",
        ),
    ),
    "SDLC": (
        "secure-development",
        "Secure Development Policy",
        "VP Engineering",
        "CTO",
        "This policy builds security into how the Acme Platform is designed, coded and tested.",
        "It applies to all code written by or for Acme Inc. that runs in production or handles customer data.",
        ("Engineering leads own secure design reviews; the security team owns the scanning tools.",),
        (
            "Static analysis must run on every pull request in the CI pipeline.",
            "Findings rated high or critical by the scanners must be fixed before release.",
            "Third-party libraries must be scanned for known vulnerabilities on every build.",
            "New services must have a design review that covers authentication, data handling and logging.",
            "Engineers must complete secure coding training every year.",
        ),
    ),
    "VM": (
        "vulnerability-management",
        "Vulnerability and Patch Management Policy",
        "Head of Security",
        "CTO",
        "This policy makes sure weaknesses in the Acme Platform are found and fixed in a set time.",
        "It covers hosts, container images, managed services and endpoints.",
        ("The security team runs the scanners; service owners fix findings.",),
        (
            "Production hosts and container images must be scanned for vulnerabilities at least weekly.",
            "Critical vulnerabilities must be remediated within 7 days, high within 30 days, medium within 90 days.",
            "An external penetration test must be performed every year.",
            "Exceptions to remediation timelines must be approved by the Head of Security and tracked to closure.",
        ),
    ),
    "LOG": (
        "logging-and-monitoring",
        "Logging and Monitoring Policy",
        "Head of Security",
        "CTO",
        "This policy defines what is logged, where logs are kept and who watches them.",
        "It covers production services, the cloud control plane, the identity provider and security tools.",
        ("The security team operates the SIEM and triages its alerts.",),
        (
            "Production systems must send security logs to the SIEM.",
            "Security logs must be retained for at least 12 months.",
            "Alerts rated high must be triaged within 1 hour, around the clock.",
            "Access to logs must be limited to the security and infrastructure teams.",
        ),
    ),
    "IR": (
        "incident-response",
        "Incident Response Policy",
        "Head of Security",
        "CEO",
        "This policy tells everyone how security incidents are reported, handled, communicated and learned from.",
        "It applies to any event that may affect the confidentiality, integrity or availability of the Acme Platform or its data.",
        ("The incident commander leads each incident; legal counsel decides on external notification.",),
        (
            "Suspected incidents must be reported to the security team immediately through the incident channel.",
            "Every incident must be classified by severity within 1 hour of being reported.",
            "Affected customers must be notified within 72 hours of confirming a breach of their data.",
            "A post-incident review must be completed within 10 business days of closing a severity 1 or 2 incident.",
            "The incident response plan must be tested with a tabletop exercise every year.",
        ),
    ),
    "BCDR": (
        "business-continuity",
        "Business Continuity and Disaster Recovery Policy",
        "Head of Infrastructure",
        "COO",
        "This policy keeps the Acme Platform running, or restores it in a known time, when a disruption occurs.",
        "It covers production regions, the data stores behind them and the people and vendors needed to run them.",
        ("The Head of Infrastructure owns the recovery plan; service owners own their runbooks.",),
        (
            "The recovery time objective for the Acme Platform must be 8 hours and the recovery point objective 1 hour.",
            "The disaster recovery plan must be tested at least once per year, with results recorded.",
            "Production must run in at least two availability zones.",
            "A business impact analysis must be refreshed every year.",
        ),
    ),
    "BAK": (
        "backup",
        "Backup Policy",
        "Head of Infrastructure",
        "CTO",
        "This policy makes sure customer data can be restored after loss or corruption.",
        "It covers production databases, object storage buckets and configuration stores.",
        ("The infrastructure team runs backups and restore tests.",),
        (
            "Production databases must be backed up at least daily.",
            "Backups must be encrypted and stored in a region other than the primary region.",
            "Backups must be kept for 35 days.",
            "A restore from backup must be tested every quarter.",
            "Backup failures must page the on-call engineer.",
        ),
    ),
    "CRY": (
        "encryption",
        "Encryption and Key Management Policy",
        "Head of Security",
        "CTO",
        "This policy sets how data is encrypted and how the keys are managed.",
        "It covers data stores, backups, network traffic and laptops.",
        ("The security team administers the key management service.",),
        (
            "Customer data must be encrypted at rest with AES-256 or stronger.",
            "Data in transit over public networks must use TLS 1.2 or higher.",
            "Encryption keys must be held in the key management service and rotated every year.",
            "Laptop disks must be encrypted before first use.",
        ),
    ),
    "DC": (
        "data-classification",
        "Data Classification and Handling Policy",
        "Head of Security",
        "General Counsel",
        "This policy classifies information so that each kind gets the protection it needs.",
        "It covers all information Acme Inc. creates, receives or holds, in any system or format.",
        ("Data owners classify their data; the security team maintains the handling rules.",),
        (
            "All data must be classified as public, internal, confidential or restricted.",
            "Confidential and restricted data must be stored only in systems approved for that class.",
            "Customer data must be treated as confidential at a minimum.",
            "The register of confidential data stores must be reviewed every year.",
        ),
    ),
    "DR": (
        "data-retention",
        "Data Retention and Disposal Policy",
        "General Counsel",
        "CEO",
        "This policy keeps data only as long as it is needed and disposes of it securely afterwards.",
        "It covers customer data, personal data, logs and backups in every system of the Acme Platform.",
        ("Legal counsel owns the retention schedule; system owners run disposal.",),
        (
            "Data must be kept no longer than the period in the retention schedule.",
            "Customer data must be deleted within 30 days of contract end unless the contract says otherwise.",
            "Disposal of confidential data must be recorded with date, system and method.",
            "The retention schedule must be reviewed every year.",
        ),
    ),
    "VEN": (
        "vendor-management",
        "Vendor and Third-Party Risk Policy",
        "Head of Security",
        "COO",
        "This policy makes sure vendors that handle our data or run our services meet our security commitments.",
        "It covers every vendor with access to customer data, production systems or personal data.",
        ("Procurement keeps the vendor register; the security team rates vendor risk.",),
        (
            "Every vendor must be risk-rated before contract signature.",
            "Vendors handling customer data must sign a data protection agreement.",
            "High-risk vendors must provide a SOC 2 report or equivalent every year.",
            "Vendors must notify Acme Inc. of a breach of our data within 72 hours.",
        ),
    ),
    "RM": (
        "risk-management",
        "Risk Management Policy",
        "Head of Security",
        "CEO",
        "This policy describes how risks to the Acme Platform and its objectives are identified, rated and treated.",
        "It covers security, availability, confidentiality, processing integrity, privacy and fraud risks.",
        ("The risk committee owns the risk register; risk owners run treatment plans.",),
        (
            "A risk assessment must be performed at least every year and after any significant change.",
            "Every risk must have an owner, a rating and a treatment decision.",
            "Fraud risk must be assessed as part of the annual risk assessment.",
            "Accepted risks rated high must be approved by the CEO.",
        ),
    ),
    "HR": (
        "human-resources-security",
        "Human Resources Security Policy",
        "Head of People",
        "COO",
        "This policy covers security across the employee lifecycle: screening, onboarding, training and offboarding.",
        "It applies to all employees and to contractors with access to company systems.",
        ("The people team runs screening and onboarding; managers confirm training completion.",),
        (
            "Background checks must be completed before a new hire receives system access.",
            "New hires must complete security awareness training within 30 days of start.",
            "All workforce members must complete security awareness training every year.",
            "Offboarding tickets must be raised on or before the last working day.",
            "Performance reviews must cover the security responsibilities of the role.",
        ),
    ),
    "COC": (
        "code-of-conduct",
        "Code of Conduct",
        "Head of People",
        "CEO",
        "This code states the standards of integrity and conduct Acme Inc. expects from its workforce.",
        "It applies to all employees, contractors and board members.",
        ("Managers model the code; the people team handles reports of violations.",),
        (
            "All workforce members must acknowledge the code of conduct at hire and every year.",
            "Conflicts of interest must be disclosed to the people team in writing.",
            "Reports of violations must be investigated within 30 days.",
            "Retaliation against anyone who reports a concern in good faith must not occur and is itself a violation.",
        ),
    ),
    "PHY": (
        "physical-security",
        "Physical and Environmental Security Policy",
        "Facilities Manager",
        "COO",
        "This policy protects offices and equipment from unauthorized physical access and environmental damage.",
        "It covers company offices; data centers are covered through vendor assurance reports.",
        ("The facilities manager runs badge access and visitor logs.",),
        (
            "Office entry must require a personal badge.",
            "Visitors must sign in and be escorted at all times.",
            "Badge access lists must be reviewed every quarter.",
            "Network equipment rooms must be locked and access logged.",
        ),
    ),
    "PRIV": (
        "privacy",
        "Privacy Policy",
        "Privacy Officer",
        "General Counsel",
        "This policy describes the internal privacy program: notice, choice, collection, use, access, disclosure and data quality.",
        "It covers personal data of customers' end users, prospects and workforce members processed by Acme Inc.",
        ("The Privacy Officer runs the program; product teams apply it to new features.",),
        (
            "A privacy notice must be published and kept current for every product that collects personal data.",
            "Consent must be recorded before personal data is used for marketing.",
            "Collection of personal data must be limited to the purposes in the privacy notice.",
            "Data subject access and correction requests must be answered within 30 days.",
            "Disclosures of personal data to third parties must be recorded in the disclosure log.",
            "Privacy complaints must be acknowledged within 5 business days.",
        ),
    ),
    "NET": (
        "network-security",
        "Network Security Policy",
        "Head of Infrastructure",
        "CTO",
        "This policy protects the boundary of the Acme Platform and the traffic inside it.",
        "It covers cloud networks, security groups, load balancers and office networks.",
        ("The infrastructure team manages network rules; the security team reviews them.",),
        (
            "Inbound traffic from the internet must reach production only through the load balancers and the web application firewall.",
            "Security group rules must be reviewed every quarter.",
            "Administrative access to production networks must go through the bastion with single sign-on.",
            "Default-deny rules must apply between network segments.",
        ),
    ),
    "CAP": (
        "capacity-management",
        "Capacity and Availability Management Policy",
        "Head of Infrastructure",
        "CTO",
        "This policy keeps enough capacity in the Acme Platform to meet its availability commitments.",
        "It covers compute, storage, databases and network capacity in every production region.",
        ("The infrastructure team watches capacity; service owners forecast demand.",),
        (
            "Capacity dashboards must alert when any production resource passes 80 percent of its limit.",
            "A capacity review must be held every month.",
            "Availability must be measured against the 99.9 percent commitment and reported monthly.",
        ),
    ),
    "PI": (
        "processing-integrity",
        "Processing Integrity Policy",
        "VP Engineering",
        "CTO",
        "This policy makes sure the Acme Platform processes data completely, accurately and on time.",
        "It covers data inputs, batch and stream processing jobs, outputs delivered to customers and stored results.",
        ("Service owners define processing specifications; the data team runs reconciliations.",),
        (
            "Processing specifications must be documented for every customer-facing data pipeline.",
            "Inputs must be validated against their schema before processing.",
            "Batch jobs must reconcile record counts between input and output, and mismatches must raise an alert.",
            "Outputs must be checked for completeness before delivery to customers.",
            "Stored results must be protected against modification with checksums verified daily.",
        ),
    ),
}

POLICY_CODES = tuple(POLICIES)

GENERIC_STATEMENTS = (
    "Records that show this policy operating must be kept for at least 12 months.",
    "Owners must raise a ticket for any gap they find in how this policy is applied.",
    "Metrics for this policy must be reported to the security steering group every quarter.",
    "Automated checks must be preferred over manual checks wherever the system supports them.",
    "New systems must be brought under this policy before they hold customer data.",
    "Deviations found during audits must be remediated within 60 days.",
    "Runbooks that implement this policy must be stored in the internal wiki and reviewed every year.",
    "Contractors must be held to this policy through their contract terms.",
)

EXCEPTIONS = (
    "Exceptions must be requested in the ticketing system, state the risk and the compensating measure, and be "
    "approved by the policy owner and the Head of Security. Approved exceptions expire after at most 6 months and "
    "are listed in the exception register."
)
ENFORCEMENT = (
    "Violations of this policy may lead to disciplinary action up to and including termination, and to the removal "
    "of system access. Contractors who violate it may have their contract ended."
)
REVIEW = (
    "The owner reviews this policy at least every {months} months and after any significant change to the Acme "
    "Platform, the organization or the law. Changes are approved by the {approver} and published to the workforce."
)

UNITS = ("EU Operations", "US Operations", "APAC Operations", "Payments", "Analytics", "Mobile", "Data Platform", "Support")

# (prefix, policy code, title, criteria, frequency, kind, automation, owner,
#  evidence requirements ((id, description), ...), description, population, inspect, exception)
CONTROLS: tuple[
    tuple[str, str, str, tuple[str, ...], str, str, str, str, tuple[tuple[str, str], ...], str, str, str, str], ...
] = (
    (
        "HR",
        "COC",
        "Code of conduct acknowledgement",
        ("CC1.1", "CC1.5"),
        "annual",
        "preventive",
        "automated",
        "Head of People",
        (("conduct-acknowledgements", "Report of code of conduct acknowledgements from the HR system"),),
        (
            "Every workforce member acknowledges the code of conduct in the HR system at hire and each year. The people team "
            "exports the acknowledgement report and follows up on anyone outstanding after 30 days."
        ),
        "the list of active workforce members",
        "the acknowledgement date in the HR system report",
        "a person with no acknowledgement in the last 12 months",
    ),
    (
        "GOV",
        "ISP",
        "Board security oversight",
        ("CC1.2",),
        "quarterly",
        "detective",
        "manual",
        "Head of Security",
        (("board-minutes", "Board or committee minutes showing the security program update"),),
        (
            "The Head of Security presents the security program status, top risks and incidents to the board each quarter. "
            "The board secretary records the discussion and any decisions in the minutes."
        ),
        "the board meetings held in the period",
        "the minutes for a security agenda item and recorded decisions",
        "a quarter without a security update to the board",
    ),
    (
        "GOV",
        "ISP",
        "Organization chart and security roles",
        ("CC1.3",),
        "annual",
        "preventive",
        "manual",
        "Head of People",
        (("org-chart", "Approved organization chart with security roles marked"),),
        (
            "The people team publishes the organization chart with reporting lines and named security roles. The CEO approves "
            "it each year and after any reorganization."
        ),
        "the organization charts approved in the period",
        "the approval record and the security roles shown",
        "a chart not approved within the last 12 months",
    ),
    (
        "HR",
        "HR",
        "Background checks before access",
        ("CC1.4",),
        "on-event",
        "preventive",
        "manual",
        "Head of People",
        (("background-check", "Background check completion record for the new hire"),),
        (
            "The people team orders a background check through the screening vendor for every new hire. Access is not "
            "provisioned until the check is marked complete in the HR system."
        ),
        "new hires in the period from the HR system",
        "the check completion date against the first access date",
        "access granted before the check completed",
    ),
    (
        "HR",
        "HR",
        "Security awareness training",
        ("CC1.4", "CC2.2"),
        "annual",
        "preventive",
        "automated",
        "Head of People",
        (("training-report", "Training completion report from the learning platform"),),
        (
            "All workforce members complete security awareness training in the learning platform at hire and every year. "
            "Managers receive weekly reminders for overdue staff."
        ),
        "active workforce members",
        "the completion date in the learning platform report",
        "a person overdue by more than 30 days",
    ),
    (
        "HR",
        "HR",
        "Performance reviews cover security duties",
        ("CC1.5",),
        "annual",
        "detective",
        "manual",
        "Head of People",
        (("review-sample", "Sample of completed performance reviews with the security section"),),
        (
            "Annual performance reviews include a section on the security responsibilities of the role. The people team "
            "checks that the section is completed before reviews are closed."
        ),
        "completed performance reviews",
        "the security responsibilities section",
        "a review with the section left blank",
    ),
    (
        "AM",
        "AM",
        "System inventory and data flows",
        ("CC2.1",),
        "semiannual",
        "detective",
        "manual",
        "IT Manager",
        (("inventory-review", "Reviewed system inventory and data flow diagrams"),),
        (
            "The IT Manager and the Head of Infrastructure review the system inventory and the data flow diagrams every six "
            "months. Changes found in the review are recorded as tickets."
        ),
        "inventory reviews in the period",
        "the reviewer sign-off and the tickets raised",
        "a review missed or not signed",
    ),
    (
        "GOV",
        "ISP",
        "Policies published to the workforce",
        ("CC2.2",),
        "on-event",
        "preventive",
        "automated",
        "Head of Security",
        (("publication-record", "Announcement of the approved policy in the internal wiki"),),
        (
            "Approved policies are published in the internal wiki and announced in the company channel. The policy tool "
            "records the publication date."
        ),
        "policy approvals in the period",
        "the publication date against the approval date",
        "publication later than 10 business days",
    ),
    (
        "GOV",
        "ISP",
        "External security commitments",
        ("CC2.3",),
        "annual",
        "preventive",
        "manual",
        "Head of Security",
        (("trust-page-review", "Reviewed customer trust page and system description"),),
        (
            "The Head of Security and legal counsel review the customer trust page, the system description and contract "
            "security terms each year so that external commitments match what is operated."
        ),
        "the annual review",
        "the reviewed documents and the approval",
        "commitments that do not match operated controls",
    ),
    (
        "RSK",
        "RM",
        "Annual risk assessment",
        ("CC3.1", "CC3.2", "CC3.4"),
        "annual",
        "detective",
        "manual",
        "Head of Security",
        (("risk-register", "Risk register with ratings and treatment decisions"),),
        (
            "The risk committee identifies and rates risks to the objectives of the Acme Platform every year and after "
            "significant changes. Each risk gets an owner and a treatment decision in the risk register."
        ),
        "the risk assessments performed",
        "ratings, owners and treatment decisions in the register",
        "a risk without owner or treatment",
    ),
    (
        "RSK",
        "RM",
        "Fraud risk assessment",
        ("CC3.3",),
        "annual",
        "detective",
        "manual",
        "Head of Security",
        (("fraud-assessment", "Fraud risk assessment worksheet"),),
        (
            "As part of the annual risk assessment, finance and security assess fraud risks such as payment diversion, "
            "account takeover and insider misuse, and record mitigations."
        ),
        "the annual assessment",
        "the fraud scenarios and mitigations",
        "no fraud scenarios assessed",
    ),
    (
        "GOV",
        "ISP",
        "Internal control self-assessment",
        ("CC4.1", "CC4.2"),
        "semiannual",
        "detective",
        "manual",
        "Head of Security",
        (("self-assessment", "Control self-assessment results and deficiency tickets"),),
        (
            "Twice a year the security team tests a sample of controls and reports deficiencies to control owners and the "
            "CTO. Deficiencies are tracked to closure in the ticketing system."
        ),
        "the self-assessments in the period",
        "results, deficiency tickets and who was told",
        "a deficiency not communicated to its owner",
    ),
    (
        "GOV",
        "ISP",
        "Control design review",
        ("CC5.1", "CC5.2"),
        "annual",
        "detective",
        "manual",
        "Head of Security",
        (("design-review", "Control matrix review with identified gaps"),),
        (
            "The security team reviews the control matrix against the risk register every year to confirm each significant "
            "risk is addressed by a control, including technology general controls."
        ),
        "the annual review",
        "the mapping from risks to controls",
        "a high risk with no control mapped",
    ),
    (
        "GOV",
        "ISP",
        "Policy review and approval",
        ("CC5.3",),
        "annual",
        "preventive",
        "manual",
        "Head of Security",
        (("policy-approvals", "Approval records for reviewed policies"),),
        (
            "Each policy owner reviews their policy every year. The approver records approval in the source repository "
            "through a signed-off pull request."
        ),
        "policies in force",
        "the last review date and approval",
        "a policy not reviewed within 12 months",
    ),
    (
        "IAM",
        "AUTH",
        "Single sign-on with MFA",
        ("CC6.1",),
        "continuous",
        "preventive",
        "automated",
        "IT Manager",
        (("sso-config", "Identity provider sign-on policy export showing MFA enforced"),),
        (
            "Workforce access to company systems goes through the identity provider, which enforces multi-factor "
            "authentication for every sign-in. Systems that cannot use single sign-on are listed with compensating settings."
        ),
        "systems in the inventory",
        "the single sign-on and MFA settings",
        "a system reachable without MFA",
    ),
    (
        "CRY",
        "CRY",
        "Encryption at rest",
        ("CC6.1", "C1.1"),
        "continuous",
        "preventive",
        "automated",
        "Head of Infrastructure",
        (("encryption-config", "Cloud configuration report showing encryption on every data store"),),
        (
            "Every production data store is created with encryption at rest through infrastructure as code. A daily "
            "configuration check reports any data store without encryption."
        ),
        "production data stores",
        "the encryption setting and key",
        "an unencrypted data store",
    ),
    (
        "AC",
        "AC",
        "Access provisioning with approval",
        ("CC6.2",),
        "on-event",
        "preventive",
        "hybrid",
        "IT Manager",
        (("access-request", "Approved access request ticket"),),
        (
            "Access to production systems is requested in the ticketing system and approved by the system owner before the "
            "IT Manager grants it. The identity provider group is the only way access is given."
        ),
        "access grants in the period from identity provider logs",
        "the approving ticket dated before the grant",
        "a grant without prior approval",
    ),
    (
        "AC",
        "AC",
        "Quarterly user access review",
        ("CC6.2", "CC6.3"),
        "quarterly",
        "detective",
        "manual",
        "IT Manager",
        (("access-review", "Reviewer-signed access list for each production system"),),
        (
            "Each quarter, system owners review who has access to their production systems and mark access to remove. The "
            "IT Manager removes flagged access within 5 business days."
        ),
        "quarterly reviews of production systems",
        "the signed list and the removal tickets",
        "flagged access still present after 5 business days",
    ),
    (
        "AC",
        "AC",
        "Termination access removal",
        ("CC6.3",),
        "on-event",
        "corrective",
        "hybrid",
        "IT Manager",
        (("offboarding-ticket", "Offboarding ticket with access removal times"),),
        (
            "When the HR system records a termination, an offboarding ticket is raised automatically and the IT Manager "
            "disables the identity provider account and removes production access."
        ),
        "terminations in the period",
        "the account disable time against the termination date",
        "access remaining more than 1 business day",
    ),
    (
        "PHY",
        "PHY",
        "Office badge access",
        ("CC6.4",),
        "quarterly",
        "preventive",
        "manual",
        "Facilities Manager",
        (("badge-review", "Reviewed badge access list"),),
        (
            "The facilities manager grants office badges on request from the people team and reviews the badge list every "
            "quarter against active staff. Data center access is covered by the hosting provider's assurance report."
        ),
        "quarterly badge reviews",
        "the reviewed list and removals",
        "a badge active for a departed person",
    ),
    (
        "AM",
        "DR",
        "Secure disposal of media",
        ("CC6.5", "C1.2"),
        "on-event",
        "preventive",
        "manual",
        "IT Manager",
        (("disposal-certificate", "Certificate of data destruction from the disposal vendor"),),
        (
            "Laptops and storage media leaving service are wiped and sent to the disposal vendor, which returns a "
            "certificate of destruction listing serial numbers."
        ),
        "assets retired in the period",
        "the certificate listing the serial number",
        "a retired asset without a certificate",
    ),
    (
        "NET",
        "NET",
        "Boundary protection",
        ("CC6.6",),
        "quarterly",
        "preventive",
        "hybrid",
        "Head of Infrastructure",
        (("firewall-review", "Security group and firewall rule review"),),
        (
            "Inbound internet traffic reaches production only through load balancers behind the web application firewall. "
            "Security group rules are managed as code and reviewed every quarter."
        ),
        "quarterly rule reviews",
        "the rules open to the internet and their approval",
        "an unapproved open inbound rule",
    ),
    (
        "CRY",
        "CRY",
        "Encryption in transit",
        ("CC6.7",),
        "continuous",
        "preventive",
        "automated",
        "Head of Infrastructure",
        (("tls-scan", "External TLS scan of public endpoints"),),
        (
            "Public endpoints accept TLS 1.2 or higher only; the load balancer policy is managed as code. A weekly external "
            "scan checks the protocol versions offered."
        ),
        "public endpoints",
        "the protocols and ciphers offered",
        "an endpoint offering TLS below 1.2",
    ),
    (
        "END",
        "AUP",
        "Removable media blocked",
        ("CC6.7",),
        "continuous",
        "preventive",
        "automated",
        "IT Manager",
        (("mdm-profile", "Device management profile blocking removable storage"),),
        (
            "The device management profile blocks writing to removable storage on all company laptops. Exceptions are "
            "granted per device by the Head of Security."
        ),
        "managed laptops",
        "the applied profile",
        "a laptop without the profile",
    ),
    (
        "END",
        "AUP",
        "Endpoint malware protection",
        ("CC6.8",),
        "continuous",
        "preventive",
        "automated",
        "IT Manager",
        (("edr-coverage", "Endpoint protection coverage report"),),
        (
            "Every company laptop runs the endpoint detection and response agent, installed by device management. Devices "
            "that stop reporting for 7 days are followed up by the IT service desk."
        ),
        "laptops in the asset inventory",
        "agent status in the coverage report",
        "a laptop with no agent",
    ),
    (
        "VUL",
        "VM",
        "Vulnerability scanning",
        ("CC7.1",),
        "weekly",
        "detective",
        "automated",
        "Head of Security",
        (("scan-report", "Vulnerability scan summary with remediation status"),),
        (
            "Production hosts and container images are scanned every week. Findings are filed as tickets with a due date "
            "set by severity, and overdue findings are reported to the CTO."
        ),
        "weekly scans and the findings they raised",
        "the fix date against the due date",
        "a critical finding open beyond 7 days",
    ),
    (
        "CHG",
        "CM",
        "Configuration baseline monitoring",
        ("CC7.1",),
        "daily",
        "detective",
        "automated",
        "Head of Infrastructure",
        (("drift-report", "Daily configuration drift report"),),
        (
            "Production configuration is defined in infrastructure as code. A daily job compares running configuration to "
            "the baseline and opens a ticket for every drift."
        ),
        "daily drift reports",
        "the drift tickets and their resolution",
        "drift not ticketed",
    ),
    (
        "LOG",
        "LOG",
        "Central logging and alerting",
        ("CC7.2",),
        "continuous",
        "detective",
        "automated",
        "Head of Security",
        (("siem-sources", "SIEM log source health report"),),
        (
            "Production services, the cloud control plane and the identity provider send logs to the SIEM. Detection rules "
            "raise alerts to the on-call security engineer."
        ),
        "log sources in the inventory",
        "that each source reported to the SIEM in the period",
        "a source silent for more than 24 hours",
    ),
    (
        "IR",
        "IR",
        "Security event triage",
        ("CC7.3",),
        "continuous",
        "detective",
        "hybrid",
        "Head of Security",
        (("triage-log", "Alert triage log with classification"),),
        (
            "The on-call security engineer triages SIEM alerts, classifies each as benign or incident and records the "
            "decision. Incidents are escalated to the incident commander."
        ),
        "high alerts in the period",
        "the triage time and classification",
        "a high alert triaged after more than 1 hour",
    ),
    (
        "IR",
        "IR",
        "Incident response exercise",
        ("CC7.4",),
        "annual",
        "corrective",
        "manual",
        "Head of Security",
        (("tabletop-report", "Tabletop exercise report with follow-up actions"),),
        (
            "Once a year the security team runs a tabletop exercise of the incident response plan with engineering, legal "
            "and support. Follow-up actions are ticketed."
        ),
        "exercises in the period",
        "the report and the follow-up tickets",
        "no exercise in the last 12 months",
    ),
    (
        "IR",
        "IR",
        "Post-incident review",
        ("CC7.4", "CC7.5"),
        "on-event",
        "corrective",
        "manual",
        "Head of Security",
        (("postmortem", "Post-incident review document"),),
        (
            "After every severity 1 or 2 incident, the incident commander leads a blameless review and records root cause, "
            "recovery steps and actions. Actions are tracked in the ticketing system."
        ),
        "severity 1 and 2 incidents",
        "the review date and actions",
        "a review later than 10 business days",
    ),
    (
        "CHG",
        "CM",
        "Peer-reviewed changes",
        ("CC8.1",),
        "continuous",
        "preventive",
        "automated",
        "VP Engineering",
        (
            ("branch-protection", "Source repository branch protection settings"),
            ("change-sample", "Sample of merged pull requests with approvals"),
        ),
        (
            "Changes reach production only through pull requests merged into protected branches. The source repository "
            "requires one approval from someone other than the author and passing CI checks."
        ),
        "merged pull requests deployed to production",
        "the approval and the CI result",
        "a change merged without approval",
    ),
    (
        "SDL",
        "SDLC",
        "Static analysis in CI",
        ("CC8.1", "CC7.1"),
        "continuous",
        "preventive",
        "automated",
        "VP Engineering",
        (("sast-config", "CI pipeline configuration with required static analysis"),),
        (
            "The CI pipeline runs static analysis and dependency scanning on every pull request. High findings block the "
            "merge until fixed or accepted by the security team."
        ),
        "pull requests in the period",
        "the scan results and merge status",
        "a merge with an open high finding",
    ),
    (
        "BCP",
        "BCDR",
        "Business continuity plan",
        ("CC9.1",),
        "annual",
        "corrective",
        "manual",
        "Head of Infrastructure",
        (("bcp-approval", "Approved business continuity plan"),),
        (
            "The Head of Infrastructure maintains the business continuity plan and business impact analysis and has them "
            "approved by the COO every year."
        ),
        "the annual plan review",
        "the approval and the impact analysis",
        "a plan older than 12 months",
    ),
    (
        "VND",
        "VEN",
        "Vendor risk review",
        ("CC9.2", "P6.4"),
        "annual",
        "detective",
        "manual",
        "Head of Security",
        (("vendor-register", "Vendor register with risk ratings and reviews"),),
        (
            "Procurement registers every vendor; the security team rates its risk and, for high-risk vendors, reviews the "
            "SOC 2 report each year. Contracts include data protection terms."
        ),
        "vendors in the register",
        "the rating, assurance report and contract terms",
        "a high-risk vendor not reviewed",
    ),
    (
        "OPS",
        "CAP",
        "Capacity monitoring",
        ("A1.1",),
        "monthly",
        "detective",
        "automated",
        "Head of Infrastructure",
        (("capacity-review", "Monthly capacity review notes with dashboard export"),),
        (
            "Dashboards alert when a production resource passes 80 percent of its limit. The infrastructure team reviews "
            "capacity and forecasts monthly."
        ),
        "monthly reviews",
        "the review notes and actions",
        "a month without review",
    ),
    (
        "BAK",
        "BAK",
        "Daily backups",
        ("A1.2",),
        "daily",
        "preventive",
        "automated",
        "Head of Infrastructure",
        (("backup-report", "Backup job success report"),),
        (
            "Production databases are backed up daily to a second region. Failed jobs page the on-call engineer, who "
            "re-runs them the same day."
        ),
        "daily backup jobs",
        "the job status and re-runs",
        "a day without a successful backup",
    ),
    (
        "BCP",
        "BCDR",
        "Disaster recovery test",
        ("A1.3",),
        "annual",
        "corrective",
        "manual",
        "Head of Infrastructure",
        (("dr-test", "Disaster recovery test report with recovery times"),),
        (
            "Once a year the infrastructure team restores the Acme Platform in the recovery region and measures recovery "
            "time and data loss against the objectives."
        ),
        "tests in the period",
        "measured recovery time and point against objectives",
        "an objective missed without action",
    ),
    (
        "DAT",
        "DC",
        "Data classification labels",
        ("C1.1",),
        "annual",
        "preventive",
        "manual",
        "Head of Security",
        (("data-register", "Register of confidential data stores"),),
        (
            "Data owners record the class of each data store in the register. The security team checks the register every "
            "year against the cloud inventory."
        ),
        "data stores in the cloud inventory",
        "the class recorded in the register",
        "a store holding customer data not classified",
    ),
    (
        "DAT",
        "DR",
        "Retention schedule enforcement",
        ("P4.2", "P4.3", "C1.2"),
        "monthly",
        "corrective",
        "automated",
        "General Counsel",
        (("deletion-log", "Automated deletion job log"),),
        (
            "Automated jobs delete data past its retention period every month and log what was deleted. Legal counsel "
            "reviews the log each quarter."
        ),
        "monthly deletion runs",
        "the job log and legal review",
        "data kept past its retention period",
    ),
    (
        "PIN",
        "PI",
        "Processing specifications",
        ("PI1.1",),
        "annual",
        "preventive",
        "manual",
        "VP Engineering",
        (("pipeline-specs", "Reviewed processing specifications"),),
        (
            "Each customer-facing data pipeline has a written specification of inputs, processing and outputs, reviewed by "
            "its service owner every year."
        ),
        "customer-facing pipelines",
        "the specification and review date",
        "a pipeline without a specification",
    ),
    (
        "PIN",
        "PI",
        "Input validation",
        ("PI1.2",),
        "continuous",
        "preventive",
        "automated",
        "VP Engineering",
        (("validation-config", "Schema validation configuration and rejection metrics"),),
        (
            "Inputs are validated against their schema at ingestion; rejected records are quarantined and reported to the "
            "customer."
        ),
        "ingestion endpoints",
        "the validation configuration and rejection reports",
        "an endpoint accepting unvalidated input",
    ),
    (
        "PIN",
        "PI",
        "Batch reconciliation",
        ("PI1.3", "PI1.4"),
        "daily",
        "detective",
        "automated",
        "VP Engineering",
        (("reconciliation", "Daily reconciliation results"),),
        (
            "Each batch job reconciles record counts and totals between input and output. Mismatches raise an alert and "
            "block delivery until resolved."
        ),
        "daily job runs",
        "the reconciliation result and alerts",
        "a mismatch delivered without resolution",
    ),
    (
        "PIN",
        "PI",
        "Stored output integrity",
        ("PI1.5",),
        "daily",
        "detective",
        "automated",
        "VP Engineering",
        (("checksum-report", "Daily checksum verification report"),),
        "Stored results carry checksums that a daily job verifies. Failures open an incident.",
        "daily verification runs",
        "the run result",
        "a failure without an incident",
    ),
    (
        "PRV",
        "PRIV",
        "Privacy notice and consent",
        ("P1.1", "P2.1", "P3.2"),
        "annual",
        "preventive",
        "manual",
        "Privacy Officer",
        (("notice-review", "Reviewed privacy notice and consent records"),),
        (
            "The Privacy Officer reviews the privacy notice every year and after product changes. Consent for marketing and "
            "for sensitive data is captured and stored by the consent service."
        ),
        "the notice versions and a sample of consent records",
        "review dates and stored consents",
        "processing without recorded consent",
    ),
    (
        "PRV",
        "PRIV",
        "Collection and use limits",
        ("P3.1", "P4.1"),
        "on-event",
        "preventive",
        "manual",
        "Privacy Officer",
        (("privacy-review", "Privacy review of new features"),),
        ("New features that collect personal data get a privacy review that checks collection and use against the notice."),
        "features released in the period that touch personal data",
        "the privacy review",
        "a feature released without review",
    ),
    (
        "PRV",
        "PRIV",
        "Data subject requests",
        ("P5.1", "P5.2", "P7.1"),
        "on-event",
        "corrective",
        "hybrid",
        "Privacy Officer",
        (("dsr-log", "Data subject request log with response times"),),
        (
            "Requests to access or correct personal data are logged in the ticketing system and answered within 30 days "
            "after identity verification."
        ),
        "requests in the period",
        "the response date and the verification",
        "a response later than 30 days",
    ),
    (
        "PRV",
        "PRIV",
        "Disclosure log",
        ("P6.1", "P6.2", "P6.7"),
        "quarterly",
        "detective",
        "manual",
        "Privacy Officer",
        (("disclosure-log", "Record of disclosures of personal data"),),
        (
            "Disclosures of personal data to third parties are recorded with purpose and legal basis. The Privacy Officer "
            "reviews the log every quarter."
        ),
        "disclosures in the period",
        "the log entry and its basis",
        "a disclosure not logged",
    ),
    (
        "PRV",
        "IR",
        "Breach notification",
        ("P6.3", "P6.5", "P6.6"),
        "on-event",
        "corrective",
        "manual",
        "General Counsel",
        (("breach-record", "Breach record with notification dates"),),
        (
            "Unauthorized disclosures are recorded; legal counsel decides on notification and notifies affected people "
            "within the required time. Vendors must tell us within 72 hours."
        ),
        "confirmed breaches",
        "notification dates against the deadline",
        "a late notification",
    ),
    (
        "PRV",
        "PRIV",
        "Privacy inquiries and complaints",
        ("P8.1",),
        "on-event",
        "corrective",
        "manual",
        "Privacy Officer",
        (("complaint-log", "Privacy inquiry and complaint log"),),
        (
            "Inquiries and complaints arrive through the privacy mailbox and are logged, acknowledged within 5 business days "
            "and resolved."
        ),
        "complaints in the period",
        "acknowledgement and resolution",
        "an acknowledgement later than 5 business days",
    ),
)

SAMPLES = {
    "annual": "the single occurrence in the period",
    "semiannual": "both occurrences in the period",
    "quarterly": "2 quarters",
    "monthly": "2 months",
    "weekly": "5 weeks",
    "daily": "25 days",
    "continuous": "25 items spread across the period",
    "on-event": "25 items, or all of them if there are fewer",
}

SYSTEMS = (
    "identity provider",
    "cloud console",
    "ticketing system",
    "source repository",
    "CI pipeline",
    "SIEM",
    "HR system",
    "device management",
    "data warehouse",
    "production database",
)
COLLECTORS = (
    "evidence-bot (CI pipeline)",
    "IT Manager",
    "Head of Security",
    "security-team@acme.example",
    "Head of Infrastructure",
)
