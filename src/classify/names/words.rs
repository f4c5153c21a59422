//! The word lists that make a capitalised word a person's name or rule it out: titles,
//! greetings, letter closings, context words (`patient`, `From:`, `"assignee":`), Japanese
//! honorifics and context words, and the common capitalised words that are never names on
//! their own (sentence starters, weekdays, months, organisation words).
//!
//! Written for this project. Owns no matching; `names` and `names::ja` use the lists.

/// Titles before a name; never part of the span. Compared case-sensitively, `.` optional.
pub(crate) const TITLES: &[&str] = &[
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Herr", "Frau", "Fr", "Hr", "M", "Mme", "Mlle",
    "Me", "Sr", "Sra", "Srta", "Don", "Doña", "Dña", "Dª", "Sir", "Dame", "Lady", "Lord", "Dres",
    "Ing", "med", "Dipl", "Mag", "Pr",
];

/// Greetings before a name (lowercase; compared case-insensitively): one word after them is a
/// name even when the lexicon does not know it (`Hi Zoltán,`).
pub(crate) const GREETINGS: &[&str] = &[
    "dear", "hi", "hello", "hey", "liebe", "lieber", "hallo", "moin", "servus", "bonjour",
    "bonsoir", "salut", "cher", "chère", "hola", "estimado", "estimada", "querido", "querida",
    "buenos días", "buenas tardes", "good morning", "thanks", "thank you", "geehrte",
    "geehrter", "bonjour à", "hola a",
];

/// Words before a name that make the following capitalised words a person (lowercase;
/// compared case-insensitively). A trailing `:` is part of the cue where a bare word would be
/// too common (`to`, `de`, `von`).
pub(crate) const CUES: &[&str] = &[
    "patient", "patientin", "patiente", "paciente", "patient name", "customer", "client",
    "cliente", "kunde", "kundin", "employee", "mitarbeiter", "mitarbeiterin", "employé",
    "employée", "empleado", "empleada", "colleague", "kollege", "kollegin", "collègue",
    "compañero", "compañera", "name", "full name", "full_name", "fullname", "display name",
    "display_name", "displayname", "nombre", "nombre completo", "nom", "nom complet", "prénom",
    "vorname", "nachname", "apellidos", "contact", "contact person", "ansprechpartner",
    "ansprechpartnerin", "interlocuteur", "assignee", "assigned to", "owner", "author",
    "reviewer", "approver", "requester", "reporter", "reported by", "requested by",
    "signed by", "submitted by", "prepared by", "created by", "attn", "attention",
    "beneficiary", "cardholder", "card holder", "account holder", "titular", "holder",
    "tenant", "mieter", "mieterin", "locataire", "inquilino", "applicant", "candidate",
    "bewerber", "bewerberin", "candidat", "candidate name", "candidato", "candidata",
    "guest", "passenger", "member", "student", "physician", "nurse", "arzt", "ärztin",
    "médecin", "médico", "médica", "doctor", "treating physician", "referring physician",
    "emergency contact", "next of kin", "spouse", "witness", "driver", "user", "manager",
    "supervisor", "contractor", "insured", "policyholder", "versicherter", "versicherte",
    "assuré", "asegurado", "asegurada", "signed", "firmado", "unterschrift", "signé",
    "customer_name", "patient_name", "employee_name", "contact_name", "first_name",
    "last_name", "sender", "recipient", "empfänger", "destinataire", "destinatario",
    "remitente", "absender", "expéditeur", "von:", "an:", "from:", "to:", "cc:", "bcc:",
    "de:", "à:", "para:", "reply-to:", "sent by", "written by", "met", "called", "meeting with",
    "spoke with", "spoke to", "call with", "talked to", "cc", "c/o", "attendees",
    "participants", "teilnehmer", "teilnehmende", "anwesend", "asistentes", "participantes",
    "invités", "présents", "ship to", "bill to", "deliver to", "send to", "sold to",
    "lieferadresse", "rechnungsadresse", "empfänger", "adresse de livraison", "livraison",
    "dirección de envío", "enviar a", "facturar a", "destinataire", "z. hd.", "z.hd.",
    "à l'attention de", "a la atención de",
];

/// Letter closings on the line before a signature (lowercase, without the trailing `,`/`!`).
pub(crate) const CLOSINGS: &[&str] = &[
    "best regards", "kind regards", "warm regards", "regards", "best", "best wishes", "thanks",
    "thank you", "many thanks", "cheers", "sincerely", "yours sincerely", "yours truly",
    "yours", "all the best", "mit freundlichen grüßen", "mit freundlichen grüssen",
    "freundliche grüße", "viele grüße", "beste grüße", "liebe grüße", "herzliche grüße",
    "gruß", "grüße", "lg", "vg", "mfg", "cordialement", "bien cordialement", "bien à vous",
    "salutations", "sincères salutations", "amitiés", "bises", "merci", "saludos",
    "un saludo", "atentamente", "cordiales saludos", "saludos cordiales", "un abrazo",
    "muchas gracias", "gracias", "よろしくお願いします", "以上",
];

/// Capitalised words that are never a name on their own: sentence starters, pronouns,
/// weekdays, months, organisation and product words, headings. A name candidate starting or
/// ending with one is cut there.
pub(crate) const STOP: &[&str] = &[
    "The", "A", "An", "This", "That", "These", "Those", "There", "Their", "They", "Then",
    "We", "Our", "You", "Your", "He", "She", "His", "Her", "It", "Its", "I", "My", "Me",
    "And", "Or", "But", "If", "When", "While", "As", "At", "On", "In", "Of", "For", "From",
    "To", "By", "With", "Without", "Into", "After", "Before", "Since", "Until", "Also",
    "All", "Any", "Each", "Every", "Some", "No", "Not", "Yes", "So", "Please", "Thanks",
    "Thank", "Dear", "Hi", "Hello", "Hey", "Best", "Kind", "Regards", "Cheers", "Sincerely",
    "Yours", "Today", "Tomorrow", "Yesterday", "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April",
    "May", "June", "July", "August", "September", "October", "November", "December",
    "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
    "Januar", "Februar", "März", "Juni", "Juli", "Oktober", "Dezember", "Lundi", "Mardi",
    "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche", "Janvier", "Février", "Mars",
    "Avril", "Mai", "Juin", "Juillet", "Août", "Septembre", "Octobre", "Novembre",
    "Décembre", "Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo",
    "Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre",
    "Octubre", "Noviembre", "Diciembre", "Group", "Groupe", "Grupo", "Gruppe", "Bank",
    "Banque", "Banco", "Capital", "Partners", "Partner", "Holdings", "Holding", "Inc", "Ltd",
    "LLC", "GmbH", "AG", "SA", "SL", "SAS", "KG", "Co", "Corp", "Company", "Corporation",
    "Team", "Teams", "Service", "Services", "Support", "Systems", "Solutions", "Labs",
    "Technologies", "Software", "Studio", "Studios", "Foundation", "Institute", "University",
    "College", "School", "Hospital", "Clinic", "Center", "Centre", "Office", "Department",
    "Street", "Road", "Avenue", "Lane", "Drive", "Square", "Park", "Station", "Airport",
    "City", "Hotel", "Restaurant", "Café", "Cafe", "Market", "Store", "Shop", "Mall",
    "North", "South", "East", "West", "New", "Old", "Great", "Big", "Little", "Upper",
    "Lower", "Central", "National", "International", "Global", "General", "Royal", "Saint",
    "St", "San", "Santa", "Los", "Las", "Le", "La", "Les", "Der", "Die", "Das", "Den", "Dem",
    "Des", "Ein", "Eine", "Und", "Oder", "Mit", "Für", "Von", "Zu", "Im", "Am", "Bei", "Auf",
    "Aus", "Nach", "Über", "Unter", "Wir", "Sie", "Ich", "Er", "Es", "Ihr", "Bitte", "Danke",
    "Liebe", "Lieber", "Hallo", "Sehr", "Geehrte", "Geehrter", "Gruß", "Grüße", "Viele",
    "Beste", "Herzliche", "Freundliche", "Cordialement", "Bonjour", "Merci", "Nous",
    "Vous", "Il", "Elle", "Ils", "Je", "Et", "Ou", "Mais", "Pour", "Avec", "Dans", "Sur",
    "Par", "Une", "Un", "Du", "Au", "Aux", "Cher", "Chère", "El", "Los", "Una", "Uno", "Y",
    "Del", "Al", "Con", "Por", "Para", "En", "Nosotros", "Usted", "Hola", "Gracias",
    "Saludos", "Estimado", "Estimada", "Atentamente", "Un", "Re", "Fwd", "Subject", "Betreff",
    "Objet", "Asunto", "Note", "Notes", "Summary", "Agenda", "Minutes", "Action", "Items",
    "Next", "Steps", "Review", "Quarterly", "Annual", "Monthly", "Weekly", "Daily", "Report",
    "Project", "Product", "Release", "Version", "Update", "Status", "Issue", "Ticket", "Bug",
    "Feature", "Request", "Response", "Error", "Warning", "Info", "Debug", "Test", "Tests",
    "Example", "Sample", "Demo", "Default", "Config", "Settings", "Admin", "User", "Users",
    "Customer", "Customers", "Client", "Clients", "Patient", "Patients", "Doctor", "Manager",
    "Name", "Email", "Phone", "Address", "Date", "Time", "Number", "Id", "Type", "Value",
    "Total", "Amount", "Price", "Order", "Invoice", "Payment", "Account", "Contract",
    "Policy", "Data", "Cloud", "Server", "Database", "Api", "App", "Web", "Mobile", "Online",
    "Google", "Microsoft", "Apple", "Amazon", "Meta", "Windows", "Linux", "Android", "Chrome",
    "Office", "Excel", "Word", "Outlook", "Slack", "Zoom", "Jira", "GitHub", "Docker",
    "Visual", "Code", "Sheets", "Docs", "Drive", "Watch", "Pro", "Max", "Plus", "Mini",
    "Air", "Home", "Energy", "Health", "Care", "Medical", "Insurance", "Finance", "Legal",
    "Sales", "Marketing", "Operations", "Engineering", "Research", "Security", "Privacy",
    "Compliance", "Risk", "Board", "Committee", "Council", "Ministry", "Government",
    "Court", "Police", "Army", "Church", "Union", "European", "American", "German", "French",
    "Spanish", "English", "Japanese", "Chinese", "Christmas", "Easter", "Black", "White",
    "Red", "Blue", "Green", "Gold", "Silver", "First", "Second", "Third", "Last", "Final",
    "Full", "Unknown", "None", "Null", "True", "False", "Sir", "Madam", "Madame", "Monsieur",
    "Señor", "Señora", "Cedex", "Calle", "Avenida", "Avda", "Travesía", "Camino", "Plaza",
    "Paseo", "Carretera", "Ronda", "Rue", "Boulevard", "Chemin", "Allée", "Impasse", "Quai",
    "Place", "Route", "Platz", "Weg", "Allee", "Gasse", "Ring", "Ihre", "Ihr", "Ihren", "Ihrem",
    "Ihrer", "Unser", "Unsere", "Mein", "Meine", "Dein", "Deine", "Sein", "Seine", "Dieser",
    "Diese", "Dieses", "Jeder", "Jede", "Alle", "Kein", "Keine", "Votre", "Vos", "Notre", "Nos",
    "Mon", "Ma", "Mes", "Ce", "Cette", "Ces", "Su", "Sus", "Nuestro", "Nuestra", "Este", "Esta",
    "Estos", "Estas", "Mi", "Tu",
];

/// Words that end building, estate and street names (`Alder Lodge`, `Maple Crescent`): a run
/// ending in one is a name only after a cue.
pub(crate) const PLACE_ENDS: &[&str] = &[
    "Lodge", "Hill", "Hills", "House", "Crescent", "Gardens", "Garden", "Court", "Park", "Way",
    "Close", "Green", "Field", "Fields", "Farm", "Manor", "Hall", "Cottage", "Villa", "Tower",
    "Towers", "Heights", "Terrace", "View", "Grove", "Mews", "Row", "Bridge", "Mill", "Wood",
    "Woods", "Square", "Place", "Gate", "End", "Rise", "Vale", "Dale", "Brook", "Ridge",
    "Meadow", "Meadows", "Orchard", "Chase", "Walk", "Parade", "Circus", "Yard", "Wharf",
    "Quay", "Point", "Centre", "Estate", "Building", "Plaza", "Residence", "Residencia",
];

/// Given names that are also common words or places: a name only with a known family name
/// after them or a cue before them.
pub(crate) const AMBIGUOUS_GIVEN: &[&str] = &[
    "Will", "May", "June", "April", "August", "Mark", "Grace", "Hope", "Bill", "Rose",
    "Summer", "Joy", "Faith", "Dawn", "Art", "Chase", "Page", "Rich", "Guy", "Frank",
    "Victoria", "Paris", "Georgia", "Jordan", "Florence", "Austin", "Dallas", "Sydney",
    "Chelsea", "Virginia", "Carolina", "Dakota", "Brooklyn", "London", "Madison", "Lincoln",
    "Jackson", "Washington", "Christian", "Major", "King", "Prince", "Sunny", "Amber",
    "Crystal", "Ruby", "Jade", "Pearl", "Holly", "Ivy", "Lily", "Daisy", "Iris", "Violet",
    "Olive", "Autumn", "Winter", "Ray", "Sky", "Rocky", "Lane", "Rod", "Gene", "Van", "Don",
    "Mercedes", "Tesla", "Alexa", "Siri", "Echo", "Nike", "Apple", "Max", "Ben", "Job",
    "Pat", "Sue", "Nick", "Bob", "Marina", "Santiago", "Valencia", "Sevilla",
    "Lourdes", "Dolores", "Rosario", "Pilar", "Consuelo", "Amparo", "Mercedes", "Angel",
    "Ángel", "Jesús", "Cruz", "Paz", "Luz", "Sol", "Alba", "Clement", "Constance", "Prudence",
    "Patience", "Charity", "Harmony", "Melody", "Destiny", "Trinity", "Heaven", "Genesis",
    "Unique", "Precious", "Ernst", "Franz", "Hans", "Justice", "Royal", "Rex", "Duke",
    "Earl", "Baron", "Cash", "Gray", "Grey", "Hunter", "Cooper", "Mason", "Carter", "Parker",
    "Taylor", "Tyler", "Harper", "Piper", "River", "Brook", "Forest", "Ocean", "Storm",
    "Stone", "Wolf", "Fox", "Bear", "Robin", "Wren", "Dove", "Raven", "Phoenix", "Orion",
    "Atlas", "Apollo", "Zeus", "Thor", "Luna", "Stella", "Aurora", "Nova", "Star", "Blue",
    "Berlin", "Roma", "Milan", "Vienna", "Sofia", "Elba", "Asia", "Africa", "America",
    "India", "China", "Kenya", "Israel", "Jersey", "Tokyo", "Kyoto", "Osaka", "Nara",
    "Sierra", "Delta", "Alpha", "Omega", "Beta", "Gamma", "Kappa", "Sigma", "Ace", "Chance",
    "Deal", "Sale", "Price", "Bank", "Case", "Miles", "Al", "Long", "Young", "Else", "Fabian", "Claude",
    "Rust", "Go", "Ruby", "Julia", "Dart", "Swift", "Kotlin", "Scala", "Ada", "Pascal",
    "Haskell", "Perl", "Elixir", "Crystal",
];

/// Lowercase words inside a name (`von der Leyen`, `de la Fuente`, `van Dijk`).
pub(crate) const PARTICLES: &[&str] = &[
    "von", "van", "der", "den", "de", "del", "della", "di", "da", "du", "des", "la", "le", "el",
    "zu", "ten", "ter", "dos", "das", "do", "bin", "al", "af", "av",
];

/// Japanese honorifics after a name; never part of the span.
pub(crate) const JA_HONORIFICS: &[&str] = &[
    "さん", "様", "さま", "氏", "先生", "くん", "君", "ちゃん", "殿", "教授", "部長", "課長",
];

/// Japanese context words before a name (a `：`/`:` or a space may follow).
pub(crate) const JA_CUES: &[&str] = &[
    "氏名", "名前", "患者", "患者名", "担当", "担当者", "宛先", "差出人", "送信者", "顧客",
    "お客様", "申請者", "利用者", "社員", "従業員", "契約者", "受取人", "署名", "作成者",
    "依頼者", "代表者", "代表", "連絡先", "主治医", "医師", "看護師", "保護者", "名義",
    "参加者", "出席者", "顧客名", "患者名", "担当医", "お名前", "ご氏名", "送付先", "届け先",
    "name\": \"", "name\":\"", "kana\": \"", "kana\":\"", "名前\": \"",
];
