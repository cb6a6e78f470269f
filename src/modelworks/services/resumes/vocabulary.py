"""What the resume generator writes about: per category, its titles, skills and duties.

Written for this project from common knowledge of the roles. Neighbouring roles deliberately
share skills (``NEIGHBOURS``), so a classifier has to weigh evidence rather than spot one word.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = (
    ".Net Developer", "Business Analyst", "Business Intelligence", "Help Desk and Support",
    "Informatica Developer", "Java Developer", "Network and System Administrator", "Oracle DBA",
    "Project Manager", "Quality Assurance", "SAP", "SQL Developer", "Sharepoint Developer",
    "Web Developer",
)


@dataclass(frozen=True)
class Role:
    """The words of one category."""

    titles: tuple[str, ...]
    skills: tuple[str, ...]
    duties: tuple[str, ...]


ROLES: dict[str, Role] = {
    ".Net Developer": Role(
        ("Senior .NET Developer", ".NET Developer", "C# Developer", "Software Engineer (.NET)"),
        ("C#", "VB.NET", "SQL Server", "JavaScript", "AJAX", "jQuery", "Windows Services",
         "user controls", "Microsoft.NET Framework", "TFS", "ASP.NET Web Forms", "MVC", "Telerik",
         "ASP.NET MVC", ".NET Core", "Entity Framework", "LINQ", "WCF", "Web API",
         "ADO.NET", "Visual Studio", "WPF", "Razor", "NuGet", "IIS", "Azure App Service"),
        ("developed {skill} services consumed by internal applications",
         "refactored legacy {skill} code into testable components",
         "built REST endpoints with {skill} and documented them for partner teams",
         "wrote unit tests with NUnit and xUnit for {skill} modules")),
    "Business Analyst": Role(
        ("Business Analyst", "Senior Business Analyst", "Business Systems Analyst",
         "IT Business Analyst"),
        ("requirements gathering", "business requirements", "functional requirements", "SDLC",
         "Agile", "Scrum", "JIRA", "UAT", "workflow diagrams", "data mapping", "Rational Rose",
         "MS Visio", "SME interviews", "change management", "use cases", "user stories", "BRD",
         "FRD", "UML",
         "Microsoft Visio", "gap analysis", "process mapping", "stakeholder interviews", "JAD",
         "Rational RequisitePro", "acceptance criteria", "business process modeling"),
        ("gathered {skill} from business users and translated them into specifications",
         "facilitated {skill} sessions with stakeholders across departments",
         "documented as-is and to-be processes using {skill}",
         "supported UAT and traced defects back to {skill}")),
    "Business Intelligence": Role(
        ("BI Developer", "Business Intelligence Analyst", "BI Consultant", "Reporting Analyst"),
        ("Tableau", "data warehouse", "Teradata", "Ab Initio", "ETL", "SQL", "metadata management",
         "data marts", "ODS", "business objects", "reporting", "OBIEE", "ad hoc reports",
         "Power BI", "SSRS", "SSAS", "OLAP cubes", "dashboards", "data modeling",
         "star schema", "MicroStrategy", "Cognos", "DAX", "KPI reporting", "Qlik",
         "data visualization"),
        ("designed {skill} reports for finance and sales leadership",
         "built {skill} on top of the enterprise data warehouse",
         "defined KPIs and delivered them through {skill}",
         "optimized {skill} refresh times for executive reporting")),
    "Help Desk and Support": Role(
        ("Help Desk Technician", "IT Support Specialist", "Desktop Support Analyst",
         "Service Desk Analyst"),
        ("ticketing", "Active Directory", "Outlook", "VPN", "hardware", "software installation",
         "laptops", "mobile devices", "incident management", "end users", "call center",
         "user accounts", "ServiceNow", "Remedy", "password resets", "desktop support",
         "troubleshooting", "Windows 10", "Microsoft Office", "printers", "imaging",
         "remote support", "hardware repair", "customer service", "first level support"),
        ("resolved end user issues through {skill} within agreed SLAs",
         "provided {skill} to over 300 users by phone, email and walk-up",
         "logged and escalated incidents in {skill}",
         "set up new hires with laptops, accounts and {skill}")),
    "Informatica Developer": Role(
        ("Informatica Developer", "ETL Developer", "Informatica PowerCenter Developer",
         "ETL Consultant"),
        ("Informatica PowerCenter", "data architecture", "data modeling", "Erwin",
         "dimensional modeling", "logical and physical data models", "Oracle",
         "Unix shell scripting", "Autosys", "data integration", "data quality",
         "Informatica Designer", "data profiling", "ETL", "mappings", "workflows", "sessions",
         "IDQ",
         "Informatica Cloud", "slowly changing dimensions", "source qualifier",
         "data warehouse", "Teradata", "mapplets", "Workflow Manager", "pushdown optimization"),
        ("developed {skill} to load staging and warehouse tables",
         "tuned {skill} to cut nightly load windows",
         "implemented {skill} for customer and product dimensions",
         "migrated {skill} between development, test and production repositories")),
    "Java Developer": Role(
        ("Java Developer", "Senior Java Developer", "Java Software Engineer",
         "J2EE Developer"),
        ("Java", "Struts", "JSP", "EJB", "SOAP", "web services", "WebLogic", "WebSphere",
         "Eclipse", "JDBC", "XML", "Java/J2EE", "design patterns", "JMS", "Spring Boot",
         "Spring MVC", "Hibernate", "J2EE", "JUnit", "Maven", "REST APIs",
         "microservices", "Kafka", "Tomcat", "JPA", "Servlets", "Gradle"),
        ("developed {skill} services for order processing",
         "designed {skill} components following object-oriented principles",
         "wrote {skill} tests and raised coverage above 80 percent",
         "integrated {skill} with messaging and persistence layers")),
    "Network and System Administrator": Role(
        ("Network Administrator", "System Administrator", "Network Engineer",
         "Systems Engineer"),
        ("Cisco routers", "network infrastructure", "LAN/WAN", "routing protocols", "OSPF", "BGP",
         "Exchange Server", "servers", "network monitoring", "SolarWinds", "Nagios",
         "load balancers", "storage", "switches", "VLANs", "TCP/IP", "DNS", "DHCP",
         "Active Directory",
         "VMware", "Windows Server", "Linux", "firewalls", "VPN", "Group Policy", "backups"),
        ("configured and maintained {skill} across three data centers",
         "monitored {skill} and resolved outages",
         "administered {skill} for 1,200 users",
         "patched and hardened {skill} according to security policy")),
    "Oracle DBA": Role(
        ("Oracle DBA", "Oracle Database Administrator", "Senior Oracle DBA",
         "Database Administrator"),
        ("Oracle 12c", "Oracle 11g", "SQL*Loader", "SQL*Plus", "TOAD", "partitioning", "UNIX",
         "shell scripting", "database design", "schema", "Oracle Warehouse Builder", "tablespaces",
         "indexes", "data migration", "Oracle 19c", "RMAN", "Data Guard", "RAC", "ASM",
         "AWR reports",
         "performance tuning", "backup and recovery", "Oracle Enterprise Manager", "PL/SQL",
         "database upgrades", "GoldenGate", "export/import"),
        ("administered {skill} for production databases",
         "performed {skill} and tested restore procedures",
         "configured {skill} for high availability",
         "analyzed {skill} to resolve slow queries")),
    "Project Manager": Role(
        ("Project Manager", "IT Project Manager", "Senior Project Manager",
         "Technical Project Manager"),
        ("project planning", "project charter", "project plan", "SDLC", "PMO",
         "weekly status reports", "cost control", "change requests", "project schedule",
         "team leadership", "deliverables", "HP ALM", "issue tracking", "PMP", "budget management",
         "risk management", "MS Project",
         "Scrum", "Agile", "Waterfall", "resource allocation", "stakeholder management",
         "status reporting", "scope management", "vendor management", "milestones"),
        ("led {skill} for a portfolio of infrastructure projects",
         "owned {skill} and delivered on time and under budget",
         "ran weekly {skill} with sponsors and steering committees",
         "applied {skill} to keep cross-functional teams aligned")),
    "Quality Assurance": Role(
        ("QA Analyst", "QA Engineer", "Software Test Engineer", "Quality Assurance Analyst"),
        ("test cases", "test scripts", "HP ALM", "system testing", "integration testing", "UAT",
         "smoke testing", "test strategy", "bug reports", "SoapUI", "performance testing",
         "QA methodologies", "test plans", "Selenium", "regression testing", "JIRA", "QTP",
         "manual testing", "automation testing", "defect tracking", "TestNG", "LoadRunner",
         "functional testing", "Quality Center", "Cucumber"),
        ("wrote and executed {skill} for web and mobile releases",
         "automated {skill} and ran them in the nightly build",
         "tracked defects in {skill} through to closure",
         "performed {skill} before every production release")),
    "SAP": Role(
        ("SAP Consultant", "SAP FICO Consultant", "SAP MM Consultant", "SAP ABAP Developer"),
        ("SAP FI/CO", "SAP ECC", "SAP R/3", "blueprint", "SAP implementation", "general ledger",
         "accounts payable", "procurement", "SAP CRM", "SAP modules", "go-live support", "cutover",
         "SAP MM", "SAP SD", "ABAP", "SAP HANA", "S/4HANA", "IDocs", "BAPI",
         "SAP configuration", "LSMW", "SAP BW", "SAP PP", "ALV reports", "SAP Basis"),
        ("configured {skill} for the finance and procurement teams",
         "led {skill} during the S/4HANA migration",
         "developed {skill} enhancements and user exits",
         "supported month-end close with {skill}")),
    "SQL Developer": Role(
        ("SQL Developer", "SQL Server Developer", "Database Developer", "T-SQL Developer"),
        ("T-SQL", "SQL queries", "database objects", "joins", "SSRS", "data validation", "Oracle",
         "MySQL", "database design", "performance tuning", "SQL Profiler", "bulk insert",
         "SQL Server", "stored procedures", "SSIS", "query optimization", "indexes",
         "views", "triggers", "functions", "execution plans", "SQL Server Management Studio",
         "CTEs", "normalization", "PL/SQL"),
        ("wrote {skill} for reporting and data exchange",
         "improved {skill} and reduced report run times",
         "designed {skill} for new application modules",
         "maintained {skill} and documented the schema")),
    "Sharepoint Developer": Role(
        ("SharePoint Developer", "SharePoint Consultant", "SharePoint Administrator",
         "SharePoint Architect"),
        ("SharePoint 2013", "SharePoint 2010", "MOSS 2007", "C#", "ASP.NET", "JavaScript",
         "custom lists", "workflows", "event receivers", "SharePoint farm",
         "Central Administration", "search configuration", "SharePoint Online",
         "SharePoint Designer", "web parts",
         "InfoPath", "Nintex workflows", "CSOM", "PowerShell", "site collections", "Office 365",
         "SPFx", "document libraries", "content types", "Power Automate"),
        ("developed custom {skill} for departmental intranet sites",
         "migrated {skill} from on-premises farms to the cloud",
         "automated {skill} for approvals and forms",
         "administered {skill} permissions and governance")),
    "Web Developer": Role(
        ("Web Developer", "Front End Developer", "Full Stack Developer", "UI Developer"),
        ("JavaScript", "DHTML", "XHTML", "XML", "XSLT", "JSON", "AJAX", "UI", "front end",
         "Vue.js", "web applications", "cross browser compatibility", "Photoshop", "Maven",
         "Jenkins", "HTML5", "CSS3", "React", "Angular", "jQuery", "Node.js", "Bootstrap",
         "responsive design", "TypeScript", "PHP", "WordPress", "REST APIs", "Sass"),
        ("built responsive pages with {skill}",
         "developed single page applications in {skill}",
         "improved page load times by optimizing {skill}",
         "implemented designs from mockups using {skill}")),
}

NEIGHBOURS: dict[str, tuple[str, ...]] = {
    ".Net Developer": ("Web Developer", "Sharepoint Developer", "SQL Developer"),
    "Business Analyst": ("Project Manager", "Business Intelligence", "Quality Assurance"),
    "Business Intelligence": ("Business Analyst", "SQL Developer", "Informatica Developer"),
    "Help Desk and Support": ("Network and System Administrator",),
    "Informatica Developer": ("Business Intelligence", "SQL Developer", "Oracle DBA"),
    "Java Developer": ("Web Developer", "Quality Assurance"),
    "Network and System Administrator": ("Help Desk and Support",),
    "Oracle DBA": ("SQL Developer", "Informatica Developer"),
    "Project Manager": ("Business Analyst", "SAP"),
    "Quality Assurance": ("Java Developer", "Business Analyst"),
    "SAP": ("Business Analyst", "Project Manager"),
    "SQL Developer": ("Oracle DBA", "Business Intelligence", ".Net Developer"),
    "Sharepoint Developer": (".Net Developer", "Web Developer"),
    "Web Developer": ("Java Developer", ".Net Developer"),
}

GENERIC_SKILLS = (
    "SDLC", "requirements", "design", "development", "testing", "implementation",
    "production support", "UML", "Scrum", "Waterfall", "client", "business users",
    "Microsoft Office", "communication", "team leadership", "documentation", "Agile",
    "problem solving", "Excel", "SQL", "Git", "Linux", "time management", "mentoring",
    "customer focus", "JIRA", "Confluence", "Windows", "presentation skills", "ITIL",
)
SUMMARY_OPENERS = (
    "{years}+ years of experience as a {title}",
    "Results-driven {title} with {years} years of experience",
    "{title} with a {years}-year track record",
    "Detail oriented {title} bringing {years} years of hands-on experience",
)
SUMMARY_CLOSERS = (
    "Strong communication skills and comfortable working with business and technical teams.",
    "Able to work independently and in fast paced environments.",
    "Known for clear documentation and dependable delivery.",
    "Quick learner who enjoys solving difficult problems.",
    "Experienced in Agile and Waterfall delivery.",
)
DEGREES = (
    "Bachelor of Science in Computer Science", "Bachelor of Engineering",
    "Master of Science in Information Systems", "Bachelor of Business Administration",
    "Master of Business Administration", "Bachelor of Technology", "Associate Degree in IT",
    "Bachelor of Arts in Economics", "Master of Computer Applications",
)
