"""Training prompts by composition: request frames per language and task, filled with slot
values (documents, languages, programming languages, numbers, categories) and sometimes
wrapped around pasted content. The frames are written for training only; no evaluation
prompt was copied into them.
"""

from __future__ import annotations

import random

PL = ["Python", "JavaScript", "TypeScript", "Java", "C", "C++", "C#", "Go", "Rust", "SQL", "Bash",
      "Ruby", "PHP", "Kotlin", "Swift", "Scala", "R", "Haskell", "PowerShell", "Dart", "Lua", "Perl"]
ERRORS = ["TypeError: cannot read properties of undefined (reading 'map')",
          "IndexError: list index out of range", "NullPointerException",
          "error[E0382]: borrow of moved value: `v`", "segmentation fault (core dumped)",
          "SyntaxError: unexpected token '}'", "ModuleNotFoundError: No module named 'requests'",
          "undefined reference to `main'", "panic: runtime error: invalid memory address",
          "ERROR 1064 (42000): You have an error in your SQL syntax",
          "fatal: refusing to merge unrelated histories", "ZeroDivisionError: division by zero",
          "KeyError: 'id'", "Uncaught ReferenceError: $ is not defined", "StackOverflowError",
          "cannot find symbol", "E: Unable to locate package", "401 Unauthorized from fetch()"]
SNIPPETS = ["```python\ndef add(a, b):\n    return a - b\n```", "```js\nconst x = arr.map(i => i * 2)\n```",
            "for (int i = 0; i <= n; i++) { sum += a[i]; }", "SELECT name, COUNT(*) FROM users GROUP BY name;",
            "```\nfn main() { let v = vec![1]; let w = v; println!(\"{:?}\", v); }\n```",
            "if x = 5:\n    print(x)", "while True:\n    pass", "```go\nfunc main() { fmt.Println(\"hi\") }\n```",
            "public static void main(String[] args) { System.out.println(args[0]); }",
            "df.groupby('city').mean()", "$ docker run -p 80:80 nginx", "<div class=\"row\">{items}</div>"]


# Per language: slot values, then frames per task. {d} a document, {D} pasted-content lead,
# {l} a language name, {p} a programming language, {e} an error, {s} a code snippet, {w} a coding
# goal, {x} entity kinds, {c} categories, {t} a chat topic, {a} {b} {n} numbers.
LANGS: dict[str, dict] = {}

LANGS["en"] = {
    "d": ["this article", "the following text", "this email", "the report below", "these meeting notes",
          "this thread", "this document", "the passage above", "this chapter", "this transcript",
          "the paper's abstract", "this blog post", "the news story", "this contract", "this review",
          "the conversation below", "my notes", "this speech", "the lecture", "this essay", "the memo"],
    "l": ["English", "Spanish", "French", "German", "Japanese", "Chinese", "Portuguese", "Italian",
          "Thai", "Vietnamese", "Greek", "Hebrew", "Indonesian", "Swahili", "Ukrainian", "Czech", "Tagalog", "Bengali", "Persian", "Finnish", "Hungarian", "Urdu",
          "Korean", "Dutch", "Russian", "Arabic", "Hindi", "Polish", "Turkish", "Swedish"],
    "w": ["a function that reverses a string", "a class for a bank account", "a script that renames files",
          "a REST endpoint that returns users", "a unit test for this method", "a binary search",
          "a linked list", "a CLI that parses arguments", "a query that finds duplicate rows",
          "a web scraper", "a sorting algorithm", "a function to validate an email address",
          "a React hook for fetching data", "a decorator that times a function", "a recursive factorial",
          "a program that reads a CSV file", "a regex that matches dates", "a thread-safe queue"],
    "x": ["names", "dates", "email addresses", "phone numbers", "prices", "addresses", "company names",
          "the amounts", "product names", "URLs", "the key figures", "all the people", "the deadlines",
          "the locations", "the order ids", "the author and year", "the invoice number"],
    "c": ["positive, negative or neutral", "spam or not spam", "urgent or not urgent", "billing, technical or sales",
          "sports, politics, business or tech", "formal or informal", "toxic or safe", "bug or feature request",
          "fiction or non-fiction", "high, medium or low priority", "a question or a complaint",
          "true or false", "animal, plant or mineral", "happy, sad or angry"],
    "t": ["the best way to learn guitar", "what to cook tonight", "a good movie for the weekend",
          "how to stay motivated", "the history of Rome", "dogs versus cats", "planning a trip to Japan",
          "why the ocean is salty", "how volcanoes form", "the meaning of life", "a gift for my sister",
          "tips for a job interview", "how to sleep better", "the best pizza toppings", "black holes",
          "learning a new language", "how to make friends in a new city", "the rules of chess"],
    "summarize": [
        "Summarize {d}.", "Can you summarize {d} for me?", "Give me a short summary of {d}.",
        "TL;DR of {d}?", "What are the key points of {d}?", "Condense {d} into one paragraph.",
        "Boil {d} down to three bullet points.", "Sum up {d} in a sentence.", "Recap {d} briefly.",
        "What's the gist of {d}?", "Write an executive summary of {d}.", "Shorten {d} to 50 words.",
        "Briefly, what does {d} say?", "Give me the highlights of {d}.", "Make a synopsis of {d}.",
        "I don't have time to read {d}; what's it about in short?", "Outline the main ideas of {d}.",
        "Summarise {d} for a busy executive.", "Give me the short version of {d}.",
        "Write a two-line abstract of {d}.", "What are the main takeaways from {d}?",
        "Can you give me a quick overview of {d}?", "Digest {d} into a few bullet points.",
        "{D}Summarize this.", "{D}Summary please.", "{D}tldr", "{D}What's the short version?",
        "Summarize the following:{D}", "Please give a brief summary of the text below.{D}",
        "Based on the following passage, summarize what happened.{D}",
    ],
    "chat": [
        "Hi!", "Hello, how are you?", "Good morning!", "Thanks a lot!", "What do you think about {t}?",
        "Tell me about {t}.", "Any advice on {t}?", "Let's chat about {t}.", "Write a poem about {t}.",
        "Write a short story about {t}.", "Give me ideas for {t}.", "Brainstorm some ideas about {t}.",
        "What's your opinion on {t}?", "I'd love some recommendations on {t}.", "Tell me a joke.",
        "Who was Napoleon?", "What is the tallest mountain in Europe?", "Why do we dream?",
        "How does photosynthesis work?", "What should I name my new puppy?", "Can you help me plan my day?",
        "Write a haiku about the sea.", "Compose a birthday message for my friend.",
        "Draft a friendly reminder email to my team about the party.", "What are fun things to do in Paris?",
        "Describe {t} to a five-year-old.", "I'm bored, entertain me.", "What's the difference between a frog and a toad?",
        "Write a limerick about a cat.", "Suggest a name for my bakery.", "How can I be more productive?",
        "Explain {t} in simple terms.", "What is a good hobby to pick up?", "Good night!",
        "Can you recommend a podcast?", "Write a cover letter for a barista job.",
        "What happened in 1969?", "Who painted the Mona Lisa?", "Is coffee bad for you?",
    ],
    "code": [
        "Write {w} in {p}.", "Implement {w} in {p}.", "How do I write {w} in {p}?", "Can you code {w}?",
        "Fix this {p} code:\n{s}", "Why does my {p} code fail?\n{s}", "What does this error mean: {e}",
        "I get {e} in my {p} program, how do I fix it?", "Debug this:\n{s}", "Refactor this {p} function.",
        "Explain this code:\n{s}", "Convert this {p} code to {p}.", "Write a {p} script that parses JSON.",
        "How do I install a package in {p}?", "What's the difference between a list and a tuple in Python?",
        "Optimize this {p} loop.", "Review my pull request diff.", "Add error handling to this {p} function.",
        "Write unit tests for {w}.", "How do I connect to Postgres from {p}?", "{e}\nhelp",
        "Make this {p} code faster:\n{s}", "What is a race condition and how do I avoid it in {p}?",
        "Translate this Python function to {p}.", "Write a Dockerfile for a {p} app.",
        "How do I center a div in CSS?", "Write a git command to squash the last 3 commits.",
        "My build fails with: {e}", "Generate {w} with comments.", "Show me how to use async/await in {p}.",
    ],
    "reasoning": [
        "If a car travels at {a} km/h for {b} hours, how far does it go?", "What is {a} times {b}?",
        "Solve: {a}x + {b} = {n}.", "Prove that the sum of two even numbers is even.",
        "What is the probability of drawing two aces from a deck of cards?",
        "A shop sells pens at {a} cents each. How much do {b} pens cost? Show your work.",
        "If {a} workers build a wall in {b} days, how long would {n} workers take?",
        "Tom has {a} apples and gives {b} to Sara. How many are left?",
        "Think step by step: a store discounts a ${n} jacket by {a}%. What's the new price?",
        "Is {n} a prime number? Explain.", "What is the next number: {a}, {b}, {n}, ...?",
        "Alice is older than Bob, and Bob is older than Carol. Who is youngest?",
        "A rectangle has area {n} and one side {a}. What is the other side?",
        "Prove by induction that 1 + 2 + ... + n = n(n+1)/2.", "Solve this riddle: what has keys but can't open locks?",
        "How many ways can {a} people be seated in a row?", "If x + y = {n} and x - y = {a}, find x and y.",
        "Calculate the average of {a}, {b} and {n}.", "Which is bigger, {a}/{b} or 0.5? Justify.",
        "A train leaves at {a}:00 and arrives {b} hours later. When does it arrive?",
        "Work out how many seconds are in {a} days.", "Derive the formula for the area of a circle.",
        "If every dog barks and Rex is a dog, does Rex bark? Explain the logic.",
        "Estimate how many piano tuners there are in a city of {n} thousand people.",
        "There are {a} red and {b} blue balls in a bag. What is the chance of picking red?",
        "Three friends split a bill of ${n} with a {a}% tip. How much does each pay?",
        "{a} + {b} * {n} = ?", "What is {n} divided by {a}, rounded to two decimals?",
        "A snail climbs {a} m each day and slides {b} m each night. When does it escape a {n} m well?",
        "Knights always tell the truth and knaves always lie. A says B is a knave. B says both are knights. Who is who?",
    ],
    "translate": [
        "Translate this into {l}.", "Translate \"good morning\" to {l}.", "How do you say \"I love you\" in {l}?",
        "Can you translate the following into {l}?", "Put this sentence into {l}: I am hungry.",
        "What's the {l} word for \"library\"?", "Translate {d} from English to {l}.",
        "Render this paragraph in {l}.", "Please translate to {l}: the meeting starts at noon.",
        "What does \"{q}\" mean in English?", "I need this in {l}: see you next week.",
        "Give me the {l} translation of this email.", "How would a native {l} speaker say \"no worries\"?",
        "Translate the menu into {l}.", "Convert this text to {l}, keeping the tone formal.",
        "{D}Translate the above into {l}.", "Translate the following to {l}:{D}",
        "Help me translate my CV into {l}.", "Say \"thank you\" in {l}.", "English to {l}: where is the bathroom?",
    ],
    "extract": [
        "Extract {x} from {d}.", "List {x} mentioned in {d}.", "Pull out {x} from this text.",
        "Find all {x} in {d}.", "From the passage, what is the date of the event?", "Get {x} from this invoice.",
        "Return {x} as JSON.", "Which {x} appear in {d}?", "Identify {x} in the following paragraph.",
        "Based on the text, who is the author?", "According to {d}, when was it founded?",
        "From the reference text, what year did the war end?", "Parse {x} out of these log lines.",
        "Give me a table of {x} from {d}.", "Using the text below, list {x}.{D}", "{D}Extract {x}.",
        "{D}From the text above, what is the price?", "Read the passage and tell me where she was born.{D}",
        "Given this paragraph, how many employees does the company have?{D}",
        "Scan {d} and output {x} in a CSV.", "What is the order number in this email?",
    ],
    "classify": [
        "Classify {d} as {c}.", "Is this review {c}?", "Label each message: {c}.", "Categorize these tickets as {c}.",
        "Which category does this belong to: {c}?", "Tag each headline as {c}.", "Is this email spam?",
        "What is the sentiment of this tweet?", "Classify each of the following as a fruit or a vegetable: {i}.",
        "Which of these is a {k}: {i}?", "Sort these items into {c}.", "Decide whether this comment is {c}.",
        "Assign one of {c} to each item below.", "Is the tone of {d} {c}?", "Detect the intent of this query.",
        "{D}Is this {c}?", "Classify the following text as {c}:{D}", "Rate this comment as {c}.",
        "Group these words by part of speech: run, blue, quickly, cat.", "Is this a question or a statement?",
        "Identify which instrument is string or percussion: {i}.",
    ],
    "q": ["c'est la vie", "Weltschmerz", "carpe diem", "arigatou", "hasta luego", "saudade", "ciao bella"],
    "i": ["apple, carrot, banana", "shark, dolphin, trout", "guitar, drum, violin",
          "oak, rose, granite", "salmon, eagle, whale"],
    "k": ["fish", "mammal", "fruit", "bird", "programming language", "tree", "percussion instrument"],
    "D": ["The company reported revenue of 3.2 million dollars in the second quarter, up 12% from last year. The CEO said growth came from new markets in Asia.",
          "Dear team, the office will be closed on Friday for maintenance. Please work from home and make sure your laptops are charged.",
          "Maria Garcia joined Acme Corp in 2019 as head of design. She previously worked at Globex in Madrid. Contact: maria@acme.com, +1 555 0100.",
          "The study followed 2,000 patients for five years and found that daily walking reduced the risk of heart disease by 30 percent.",
          "The product arrived broken and customer service never answered my emails. Very disappointed.",
          "Our flight was delayed six hours, but the airline gave us meal vouchers and the crew was friendly."],
}

LANGS["es"] = {
    "d": ["este artículo", "el siguiente texto", "este correo", "el informe", "las notas de la reunión",
          "este documento", "esta conversación", "el capítulo", "esta noticia", "el contrato"],
    "l": ["inglés", "francés", "alemán", "japonés", "chino", "portugués", "italiano", "coreano", "español", "tailandés", "vietnamita", "griego", "hebreo", "ruso", "árabe", "turco", "neerlandés"],
    "w": ["una función que invierta una cadena", "una clase para una cuenta bancaria", "un script que lea un CSV",
          "una búsqueda binaria", "una API REST", "pruebas unitarias", "una expresión regular para fechas"],
    "x": ["los nombres", "las fechas", "los correos electrónicos", "los teléfonos", "los precios", "las direcciones",
          "los importes", "las empresas", "las ciudades"],
    "c": ["positivo o negativo", "spam o no spam", "urgente o no urgente", "facturación, soporte o ventas",
          "deportes, política o economía", "formal o informal", "ofensivo o no"],
    "t": ["qué cocinar hoy", "una buena película", "cómo dormir mejor", "viajar a México", "la historia de Roma",
          "perros y gatos", "aprender a tocar la guitarra", "el fin de semana"],
    "summarize": ["Resume {d}.", "¿Puedes resumir {d}?", "Hazme un resumen de {d}.", "Dame los puntos clave de {d}.",
                  "¿Cuál es la idea principal de {d}?", "Sintetiza {d} en una frase.", "Haz un resumen breve de {d}.",
                  "En pocas palabras, ¿qué dice {d}?", "Condensa {d} en tres puntos.", "{D}Resúmelo, por favor.",
                  "Resume lo siguiente:{D}", "Necesito un resumen ejecutivo de {d}.", "Acorta {d}."],
    "chat": ["¡Hola!", "Buenos días, ¿cómo estás?", "¿Qué opinas sobre {t}?", "Cuéntame algo sobre {t}.",
             "Dame consejos sobre {t}.", "Escribe un poema sobre {t}.", "Escribe un cuento sobre {t}.",
             "¿Quién fue Cervantes?", "¿Por qué llueve?", "Recomiéndame un libro.", "Gracias por tu ayuda.",
             "Cuéntame un chiste.", "¿Qué hago si no puedo dormir?", "Dame ideas para {t}."],
    "code": ["Escribe {w} en {p}.", "Implementa {w} en {p}.", "¿Cómo hago {w} en {p}?", "Corrige este código {p}:\n{s}",
             "¿Qué significa este error: {e}?", "Tengo el error {e} en {p}, ¿cómo lo arreglo?", "Explica este código:\n{s}",
             "Optimiza esta función en {p}.", "¿Por qué falla mi programa en {p}?", "Refactoriza este código.",
             "Escribe una consulta SQL que cuente los pedidos.", "Depura este script:\n{s}"],
    "reasoning": ["Si un coche va a {a} km/h durante {b} horas, ¿qué distancia recorre?", "¿Cuánto es {a} por {b}?",
                  "Resuelve: {a}x + {b} = {n}.", "Demuestra que la suma de dos números impares es par.",
                  "¿Cuál es la probabilidad de sacar un {a} con un dado?", "Piensa paso a paso: {a} + {b} * {n}.",
                  "Si {a} obreros tardan {b} días, ¿cuánto tardan {n} obreros?", "¿Es {n} un número primo? Razona.",
                  "Ana tiene {a} años más que Luis y juntos suman {n}. ¿Qué edad tiene Luis?",
                  "¿Cuál es el siguiente número: {a}, {b}, {n}?", "Calcula el {a}% de {n} explicando los pasos.",
                  "Resuelve este acertijo lógico paso a paso."],
    "translate": ["Traduce esto al {l}.", "¿Cómo se dice \"gracias\" en {l}?", "Traduce al {l}: nos vemos mañana.",
                  "Pasa {d} al {l}.", "Necesito la traducción al {l} de este texto.", "¿Qué significa \"{q}\"?",
                  "Tradúceme esta frase al {l}.", "{D}Tradúcelo al {l}.", "Traduce lo siguiente al {l}:{D}",
                  "¿Cuál es la palabra en {l} para \"biblioteca\"?"],
    "extract": ["Extrae {x} de {d}.", "Saca {x} de este texto.", "Encuentra {x} en {d}.", "Lista {x} que aparecen en {d}.",
                "Según el texto, ¿cuándo se fundó?", "Devuelve {x} en formato JSON.", "Identifica {x} del párrafo.",
                "{D}Extrae {x}.", "De este texto, ¿quién es el autor?{D}", "Dime {x} que menciona {d}."],
    "classify": ["Clasifica {d} como {c}.", "¿Esta reseña es {c}?", "Etiqueta cada mensaje como {c}.",
                 "Categoriza estos tickets: {c}.", "¿Es spam este correo?", "¿Cuál es el sentimiento de este comentario?",
                 "¿Cuál de estos es un {k}: {i}?", "Ordena estos elementos en {c}.", "{D}¿Es {c}?",
                 "Asigna una categoría a cada titular."],
    "q": ["how are you", "cheers", "awesome", "deadline"], "i": ["manzana, zanahoria, plátano", "tiburón, delfín, trucha"],
    "k": ["pez", "mamífero", "fruta"],
    "D": ["La empresa facturó 3 millones de euros en el segundo trimestre, un 12% más que el año pasado.",
          "Hola equipo, la oficina estará cerrada el viernes. Trabajad desde casa, por favor.",
          "El producto llegó roto y nadie contestó mis correos. Muy decepcionado."],
}

LANGS["fr"] = {
    "d": ["cet article", "le texte suivant", "cet e-mail", "le rapport", "le compte rendu de la réunion",
          "ce document", "cette conversation", "ce chapitre", "cette actualité", "le contrat"],
    "l": ["anglais", "espagnol", "allemand", "japonais", "chinois", "portugais", "italien", "coréen", "français", "thaï", "vietnamien", "grec", "hébreu", "russe", "arabe", "turc", "néerlandais"],
    "w": ["une fonction qui inverse une chaîne", "une classe pour un compte bancaire", "un script qui lit un CSV",
          "une recherche dichotomique", "une API REST", "des tests unitaires", "une expression régulière"],
    "x": ["les noms", "les dates", "les adresses e-mail", "les numéros de téléphone", "les prix", "les montants",
          "les entreprises", "les villes"],
    "c": ["positif ou négatif", "spam ou non", "urgent ou non", "facturation, technique ou commercial",
          "sport, politique ou économie", "formel ou informel"],
    "t": ["quoi cuisiner ce soir", "un bon film", "mieux dormir", "un voyage en Italie", "l'histoire de France",
          "les chats", "apprendre le piano", "le week-end"],
    "summarize": ["Résume {d}.", "Peux-tu résumer {d} ?", "Fais-moi un résumé de {d}.", "Quels sont les points clés de {d} ?",
                  "Synthétise {d} en une phrase.", "En bref, que dit {d} ?", "Condense {d} en trois points.",
                  "{D}Résume-le.", "Résume ce qui suit :{D}", "Fais une synthèse de {d}.", "Raccourcis {d}."],
    "chat": ["Bonjour !", "Salut, ça va ?", "Que penses-tu de {t} ?", "Parle-moi de {t}.", "Des conseils pour {t} ?",
             "Écris un poème sur {t}.", "Écris une histoire sur {t}.", "Qui était Victor Hugo ?", "Pourquoi les étoiles brillent ?",
             "Recommande-moi un livre.", "Merci beaucoup !", "Raconte une blague.", "Donne-moi des idées pour {t}."],
    "code": ["Écris {w} en {p}.", "Implémente {w} en {p}.", "Comment faire {w} en {p} ?", "Corrige ce code {p} :\n{s}",
             "Que veut dire cette erreur : {e} ?", "J'ai l'erreur {e} en {p}, comment la corriger ?",
             "Explique ce code :\n{s}", "Optimise cette fonction {p}.", "Pourquoi mon programme {p} plante ?",
             "Écris une requête SQL qui compte les commandes.", "Débogue ce script :\n{s}"],
    "reasoning": ["Si une voiture roule à {a} km/h pendant {b} heures, quelle distance parcourt-elle ?",
                  "Combien font {a} fois {b} ?", "Résous : {a}x + {b} = {n}.", "Démontre que la somme de deux nombres pairs est paire.",
                  "Quelle est la probabilité d'obtenir {a} avec un dé ?", "Réfléchis étape par étape : {a} + {b} × {n}.",
                  "Si {a} ouvriers mettent {b} jours, combien de jours pour {n} ouvriers ?", "{n} est-il un nombre premier ? Justifie.",
                  "Quel est le nombre suivant : {a}, {b}, {n} ?", "Calcule {a} % de {n} en détaillant.", "Résous cette énigme logique."],
    "translate": ["Traduis ceci en {l}.", "Comment dit-on « merci » en {l} ?", "Traduis en {l} : à demain.",
                  "Traduis {d} en {l}.", "J'ai besoin de la traduction en {l} de ce texte.", "Que signifie « {q} » ?",
                  "{D}Traduis-le en {l}.", "Traduis ce qui suit en {l} :{D}", "Quel est le mot {l} pour « bibliothèque » ?"],
    "extract": ["Extrais {x} de {d}.", "Récupère {x} dans ce texte.", "Trouve {x} dans {d}.", "Liste {x} mentionnés dans {d}.",
                "D'après le texte, quand a-t-elle été fondée ?", "Renvoie {x} en JSON.", "Identifie {x} du paragraphe.",
                "{D}Extrais {x}.", "Selon ce texte, qui est l'auteur ?{D}"],
    "classify": ["Classe {d} comme {c}.", "Cet avis est-il {c} ?", "Étiquette chaque message : {c}.",
                 "Catégorise ces tickets : {c}.", "Ce courriel est-il un spam ?", "Quel est le sentiment de ce commentaire ?",
                 "Lequel de ces éléments est un {k} : {i} ?", "Range ces éléments en {c}.", "{D}Est-ce {c} ?"],
    "q": ["cheers", "deadline", "awesome"], "i": ["pomme, carotte, banane", "requin, dauphin, truite"], "k": ["poisson", "mammifère", "fruit"],
    "D": ["L'entreprise a réalisé 3 millions d'euros de chiffre d'affaires au deuxième trimestre, en hausse de 12 %.",
          "Bonjour à tous, le bureau sera fermé vendredi. Merci de travailler depuis chez vous.",
          "Le produit est arrivé cassé et le service client ne répond pas. Très déçu."],
}

LANGS["de"] = {
    "d": ["diesen Artikel", "den folgenden Text", "diese E-Mail", "den Bericht", "das Protokoll", "dieses Dokument",
          "dieses Gespräch", "das Kapitel", "die Nachricht", "den Vertrag"],
    "l": ["Englische", "Spanische", "Französische", "Japanische", "Chinesische", "Portugiesische", "Italienische", "Koreanische", "Deutsche", "Thailändische", "Vietnamesische", "Griechische", "Hebräische", "Russische", "Arabische", "Türkische", "Niederländische"],
    "w": ["eine Funktion, die einen String umdreht", "eine Klasse für ein Bankkonto", "ein Skript, das eine CSV liest",
          "eine binäre Suche", "eine REST-API", "Unit-Tests", "einen regulären Ausdruck für Datumsangaben"],
    "x": ["alle Namen", "die Daten", "die E-Mail-Adressen", "die Telefonnummern", "die Preise", "die Beträge", "die Firmen", "die Städte"],
    "c": ["positiv oder negativ", "Spam oder kein Spam", "dringend oder nicht", "Abrechnung, Technik oder Vertrieb",
          "Sport, Politik oder Wirtschaft", "formell oder informell"],
    "t": ["was ich heute kochen soll", "einen guten Film", "besser schlafen", "eine Reise nach Italien", "die Geschichte Roms",
          "Katzen", "Gitarre lernen", "das Wochenende"],
    "summarize": ["Fasse {d} zusammen.", "Kannst du {d} zusammenfassen?", "Gib mir eine Zusammenfassung von {d}.",
                  "Was sind die Kernpunkte von {d}?", "Fasse {d} in einem Satz zusammen.", "Kurz gesagt, was steht in {d}?",
                  "Verdichte {d} auf drei Stichpunkte.", "{D}Fass das kurz zusammen.", "Fasse Folgendes zusammen:{D}",
                  "Kürze {d} auf das Wesentliche.", "Schreib eine kurze Zusammenfassung von {d}."],
    "chat": ["Hallo!", "Guten Morgen, wie geht's?", "Was hältst du von {t}?", "Erzähl mir etwas über {t}.",
             "Hast du Tipps für {t}?", "Schreib ein Gedicht über {t}.", "Schreib eine Geschichte über {t}.",
             "Wer war Goethe?", "Warum ist der Himmel blau?", "Empfiehl mir ein Buch.", "Danke dir!", "Erzähl einen Witz.",
             "Gib mir Ideen für {t}."],
    "code": ["Schreibe {w} in {p}.", "Implementiere {w} in {p}.", "Wie mache ich {w} in {p}?", "Korrigiere diesen {p}-Code:\n{s}",
             "Was bedeutet dieser Fehler: {e}?", "Ich bekomme {e} in {p}, wie behebe ich das?", "Erkläre diesen Code:\n{s}",
             "Optimiere diese {p}-Funktion.", "Warum stürzt mein {p}-Programm ab?", "Schreib eine SQL-Abfrage, die Bestellungen zählt.",
             "Debugge dieses Skript:\n{s}"],
    "reasoning": ["Ein Auto fährt {b} Stunden mit {a} km/h. Wie weit kommt es?", "Was ist {a} mal {b}?", "Löse: {a}x + {b} = {n}.",
                  "Beweise, dass die Summe zweier gerader Zahlen gerade ist.", "Wie wahrscheinlich ist eine {a} beim Würfeln?",
                  "Denk Schritt für Schritt: {a} + {b} · {n}.", "Wenn {a} Arbeiter {b} Tage brauchen, wie lange brauchen {n}?",
                  "Ist {n} eine Primzahl? Begründe.", "Welche Zahl kommt als nächstes: {a}, {b}, {n}?",
                  "Berechne {a} % von {n} mit Rechenweg.", "Löse dieses Logikrätsel."],
    "translate": ["Übersetze das ins {l}.", "Wie sagt man „danke“ auf {l}?", "Übersetze ins {l}: bis morgen.",
                  "Übersetze {d} ins {l}.", "Ich brauche die {l} Übersetzung dieses Textes.", "Was heißt „{q}“ auf Deutsch?",
                  "{D}Übersetze das ins {l}.", "Übersetze Folgendes ins {l}:{D}", "Was ist das {l} Wort für „Bibliothek“?"],
    "extract": ["Extrahiere {x} aus {d}.", "Zieh {x} aus diesem Text.", "Finde {x} in {d}.", "Liste {x} aus {d} auf.",
                "Laut Text, wann wurde sie gegründet?", "Gib {x} als JSON zurück.", "Ermittle {x} im Absatz.",
                "{D}Extrahiere {x}.", "Wer ist laut diesem Text der Autor?{D}"],
    "classify": ["Klassifiziere {d} als {c}.", "Ist diese Bewertung {c}?", "Kennzeichne jede Nachricht: {c}.",
                 "Ordne diese Tickets zu: {c}.", "Ist diese E-Mail Spam?", "Wie ist die Stimmung dieses Kommentars?",
                 "Welches davon ist ein {k}: {i}?", "Sortiere diese Einträge nach {c}.", "{D}Ist das {c}?"],
    "q": ["cheers", "deadline", "awesome"], "i": ["Apfel, Karotte, Banane", "Hai, Delfin, Forelle"], "k": ["Fisch", "Säugetier", "Obst"],
    "D": ["Das Unternehmen erzielte im zweiten Quartal 3 Millionen Euro Umsatz, 12 % mehr als im Vorjahr.",
          "Hallo zusammen, das Büro bleibt am Freitag geschlossen. Bitte arbeitet von zu Hause.",
          "Das Produkt kam kaputt an und der Kundendienst antwortet nicht. Sehr enttäuscht."],
}

LANGS["pt"] = {
    "d": ["este artigo", "o texto a seguir", "este e-mail", "o relatório", "a ata da reunião", "este documento",
          "esta conversa", "o capítulo", "esta notícia", "o contrato"],
    "l": ["inglês", "espanhol", "francês", "alemão", "japonês", "chinês", "italiano", "coreano", "português", "tailandês", "vietnamita", "grego", "hebraico", "russo", "árabe", "turco", "holandês"],
    "w": ["uma função que inverte uma string", "uma classe para conta bancária", "um script que lê um CSV",
          "uma busca binária", "uma API REST", "testes unitários", "uma expressão regular para datas"],
    "x": ["os nomes", "as datas", "os e-mails", "os telefones", "os preços", "os valores", "as empresas", "as cidades"],
    "c": ["positivo ou negativo", "spam ou não spam", "urgente ou não", "cobrança, suporte ou vendas",
          "esportes, política ou economia", "formal ou informal"],
    "t": ["o que cozinhar hoje", "um bom filme", "dormir melhor", "uma viagem ao Brasil", "a história de Portugal",
          "gatos", "aprender violão", "o fim de semana"],
    "summarize": ["Resuma {d}.", "Pode resumir {d}?", "Faça um resumo de {d}.", "Quais são os pontos principais de {d}?",
                  "Sintetize {d} em uma frase.", "Em poucas palavras, o que diz {d}?", "Condense {d} em três tópicos.",
                  "{D}Resume isso.", "Resuma o seguinte:{D}", "Encurte {d}.", "Preciso de um resumo executivo de {d}."],
    "chat": ["Olá!", "Bom dia, tudo bem?", "O que você acha de {t}?", "Me fala sobre {t}.", "Dicas sobre {t}?",
             "Escreva um poema sobre {t}.", "Escreva uma história sobre {t}.", "Quem foi Camões?", "Por que chove?",
             "Me recomenda um livro.", "Obrigado!", "Conta uma piada.", "Me dá ideias para {t}."],
    "code": ["Escreva {w} em {p}.", "Implemente {w} em {p}.", "Como faço {w} em {p}?", "Corrija este código {p}:\n{s}",
             "O que significa este erro: {e}?", "Estou com o erro {e} em {p}, como resolvo?", "Explique este código:\n{s}",
             "Otimize esta função {p}.", "Por que meu programa {p} trava?", "Escreva uma consulta SQL que conte os pedidos.",
             "Depure este script:\n{s}"],
    "reasoning": ["Se um carro anda a {a} km/h por {b} horas, qual a distância?", "Quanto é {a} vezes {b}?", "Resolva: {a}x + {b} = {n}.",
                  "Prove que a soma de dois números pares é par.", "Qual a probabilidade de sair {a} num dado?",
                  "Pense passo a passo: {a} + {b} × {n}.", "Se {a} pedreiros levam {b} dias, quanto levam {n}?",
                  "{n} é primo? Justifique.", "Qual o próximo número: {a}, {b}, {n}?", "Calcule {a}% de {n} mostrando os passos.",
                  "Resolva este enigma lógico."],
    "translate": ["Traduza isto para o {l}.", "Como se diz \"obrigado\" em {l}?", "Traduza para o {l}: até amanhã.",
                  "Traduza {d} para o {l}.", "Preciso da tradução em {l} deste texto.", "O que significa \"{q}\"?",
                  "{D}Traduz isso para o {l}.", "Traduza o seguinte para o {l}:{D}", "Qual a palavra em {l} para \"biblioteca\"?"],
    "extract": ["Extraia {x} de {d}.", "Tire {x} deste texto.", "Encontre {x} em {d}.", "Liste {x} citados em {d}.",
                "Segundo o texto, quando foi fundada?", "Retorne {x} em JSON.", "Identifique {x} no parágrafo.",
                "{D}Extraia {x}.", "De acordo com o texto, quem é o autor?{D}"],
    "classify": ["Classifique {d} como {c}.", "Esta avaliação é {c}?", "Rotule cada mensagem: {c}.",
                 "Categorize estes chamados: {c}.", "Este e-mail é spam?", "Qual o sentimento deste comentário?",
                 "Qual destes é um {k}: {i}?", "Separe estes itens em {c}.", "{D}Isso é {c}?"],
    "q": ["cheers", "deadline", "awesome"], "i": ["maçã, cenoura, banana", "tubarão, golfinho, truta"], "k": ["peixe", "mamífero", "fruta"],
    "D": ["A empresa faturou 3 milhões de reais no segundo trimestre, alta de 12%.",
          "Oi pessoal, o escritório estará fechado na sexta. Trabalhem de casa.",
          "O produto chegou quebrado e ninguém responde. Muito decepcionado."],
}

LANGS["it"] = {
    "d": ["questo articolo", "il testo seguente", "questa email", "il rapporto", "il verbale della riunione", "questo documento",
          "questa conversazione", "il capitolo", "questa notizia", "il contratto"],
    "l": ["inglese", "spagnolo", "francese", "tedesco", "giapponese", "cinese", "portoghese", "coreano", "italiano", "tailandese", "vietnamita", "greco", "ebraico", "russo", "arabo", "turco", "olandese"],
    "w": ["una funzione che inverte una stringa", "una classe per un conto bancario", "uno script che legge un CSV",
          "una ricerca binaria", "una API REST", "dei test unitari", "un'espressione regolare per le date"],
    "x": ["i nomi", "le date", "gli indirizzi email", "i numeri di telefono", "i prezzi", "gli importi", "le aziende", "le città"],
    "c": ["positivo o negativo", "spam o non spam", "urgente o no", "fatturazione, tecnico o vendite",
          "sport, politica o economia", "formale o informale"],
    "t": ["cosa cucinare stasera", "un bel film", "dormire meglio", "un viaggio in Sicilia", "la storia di Roma",
          "i gatti", "imparare la chitarra", "il fine settimana"],
    "summarize": ["Riassumi {d}.", "Puoi riassumere {d}?", "Fammi un riassunto di {d}.", "Quali sono i punti chiave di {d}?",
                  "Sintetizza {d} in una frase.", "In breve, cosa dice {d}?", "Condensa {d} in tre punti.",
                  "{D}Riassumilo.", "Riassumi quanto segue:{D}", "Accorcia {d}.", "Scrivi una sintesi di {d}."],
    "chat": ["Ciao!", "Buongiorno, come va?", "Cosa ne pensi di {t}?", "Parlami di {t}.", "Consigli su {t}?",
             "Scrivi una poesia su {t}.", "Scrivi una storia su {t}.", "Chi era Dante?", "Perché piove?",
             "Consigliami un libro.", "Grazie mille!", "Raccontami una barzelletta.", "Dammi idee per {t}."],
    "code": ["Scrivi {w} in {p}.", "Implementa {w} in {p}.", "Come faccio {w} in {p}?", "Correggi questo codice {p}:\n{s}",
             "Cosa significa questo errore: {e}?", "Ho l'errore {e} in {p}, come lo risolvo?", "Spiega questo codice:\n{s}",
             "Ottimizza questa funzione {p}.", "Perché il mio programma {p} si blocca?", "Scrivi una query SQL che conti gli ordini.",
             "Fai il debug di questo script:\n{s}"],
    "reasoning": ["Se un'auto va a {a} km/h per {b} ore, quanta strada fa?", "Quanto fa {a} per {b}?", "Risolvi: {a}x + {b} = {n}.",
                  "Dimostra che la somma di due numeri dispari è pari.", "Qual è la probabilità di fare {a} con un dado?",
                  "Ragiona passo dopo passo: {a} + {b} × {n}.", "Se {a} operai impiegano {b} giorni, quanto ci mettono {n}?",
                  "{n} è un numero primo? Giustifica.", "Qual è il numero successivo: {a}, {b}, {n}?",
                  "Calcola il {a}% di {n} mostrando i passaggi.", "Risolvi questo indovinello logico."],
    "translate": ["Traduci questo in {l}.", "Come si dice \"grazie\" in {l}?", "Traduci in {l}: a domani.",
                  "Traduci {d} in {l}.", "Mi serve la traduzione in {l} di questo testo.", "Cosa significa \"{q}\"?",
                  "{D}Traducilo in {l}.", "Traduci quanto segue in {l}:{D}", "Qual è la parola {l} per \"biblioteca\"?"],
    "extract": ["Estrai {x} da {d}.", "Prendi {x} da questo testo.", "Trova {x} in {d}.", "Elenca {x} citati in {d}.",
                "Secondo il testo, quando è stata fondata?", "Restituisci {x} in JSON.", "Individua {x} nel paragrafo.",
                "{D}Estrai {x}.", "Secondo questo testo, chi è l'autore?{D}"],
    "classify": ["Classifica {d} come {c}.", "Questa recensione è {c}?", "Etichetta ogni messaggio: {c}.",
                 "Categorizza questi ticket: {c}.", "Questa email è spam?", "Qual è il sentimento di questo commento?",
                 "Quale di questi è un {k}: {i}?", "Dividi questi elementi in {c}.", "{D}È {c}?"],
    "q": ["cheers", "deadline", "awesome"], "i": ["mela, carota, banana", "squalo, delfino, trota"], "k": ["pesce", "mammifero", "frutto"],
    "D": ["L'azienda ha fatturato 3 milioni di euro nel secondo trimestre, in crescita del 12%.",
          "Ciao a tutti, l'ufficio resterà chiuso venerdì. Lavorate da casa.",
          "Il prodotto è arrivato rotto e nessuno risponde. Molto deluso."],
}

LANGS["ja"] = {
    "d": ["この記事", "次の文章", "このメール", "報告書", "会議の議事録", "この資料", "この会話", "この章", "このニュース", "契約書"],
    "l": ["英語", "スペイン語", "フランス語", "ドイツ語", "中国語", "韓国語", "イタリア語", "ポルトガル語", "日本語", "タイ語", "ベトナム語", "ギリシャ語", "ヘブライ語", "ロシア語", "アラビア語", "トルコ語", "オランダ語"],
    "w": ["文字列を反転する関数", "銀行口座のクラス", "CSVを読むスクリプト", "二分探索", "REST API", "ユニットテスト", "日付の正規表現"],
    "x": ["人名", "日付", "メールアドレス", "電話番号", "価格", "金額", "会社名", "地名"],
    "c": ["ポジティブかネガティブか", "スパムかどうか", "緊急かどうか", "請求・技術・営業", "スポーツ・政治・経済", "丁寧かくだけているか"],
    "t": ["今日の夕飯", "おすすめの映画", "よく眠る方法", "京都旅行", "日本の歴史", "猫", "ギターの練習", "週末の過ごし方"],
    "summarize": ["{d}を要約して。", "{d}を要約してください。", "{d}の要点をまとめて。", "{d}を短くまとめてください。",
                  "{d}を一文でまとめて。", "{d}のポイントを三つ教えて。", "{D}これを要約して。", "以下を要約してください：{D}",
                  "{d}の概要を教えて。", "{d}を簡潔にまとめてくれますか？"],
    "chat": ["こんにちは！", "おはようございます、元気？", "{t}についてどう思う？", "{t}について話そう。", "{t}のアドバイスをください。",
             "{t}についての詩を書いて。", "{t}の物語を書いて。", "織田信長って誰？", "どうして雨が降るの？", "おすすめの本を教えて。",
             "ありがとう！", "ジョークを言って。", "{t}のアイデアをちょうだい。"],
    "code": ["{p}で{w}を書いて。", "{p}で{w}を実装してください。", "{p}で{w}はどう書けばいい？", "この{p}のコードを直して：\n{s}",
             "このエラーの意味は？ {e}", "{p}で{e}が出ます。どう直せばいい？", "このコードを説明して：\n{s}",
             "この{p}の関数を最適化して。", "{p}のプログラムが落ちるのはなぜ？", "注文数を数えるSQLを書いて。", "このスクリプトをデバッグして：\n{s}"],
    "reasoning": ["時速{a}kmで{b}時間走ると何km？", "{a}×{b}はいくつ？", "{a}x + {b} = {n}を解いて。", "偶数と偶数の和が偶数であることを証明して。",
                  "サイコロで{a}が出る確率は？", "順を追って計算して：{a} + {b} × {n}", "{a}人で{b}日かかる仕事は{n}人なら何日？",
                  "{n}は素数ですか？理由も。", "次の数は？ {a}, {b}, {n}", "{n}の{a}%を途中式つきで計算して。", "この論理パズルを解いて。"],
    "translate": ["これを{l}に翻訳して。", "「ありがとう」は{l}で何と言う？", "{l}に訳して：また明日。", "{d}を{l}に翻訳してください。",
                  "この文章の{l}訳が欲しい。", "「{q}」ってどういう意味？", "{D}これを{l}に訳して。", "次を{l}に翻訳して：{D}", "「図書館」は{l}で？"],
    "extract": ["{d}から{x}を抽出して。", "この文章から{x}を抜き出して。", "{d}の{x}を探して。", "{d}に出てくる{x}を列挙して。",
                "本文によると設立はいつ？", "{x}をJSONで返して。", "段落から{x}を特定して。", "{D}{x}を抽出して。", "この文章によると著者は誰？{D}"],
    "classify": ["{d}を{c}で分類して。", "このレビューは{c}？", "各メッセージに{c}のラベルを付けて。", "このチケットを{c}に振り分けて。",
                 "このメールはスパム？", "このコメントの感情は？", "次のうち{k}はどれ：{i}", "これらを{c}に分けて。", "{D}これは{c}？"],
    "q": ["cheers", "deadline", "awesome"], "i": ["りんご、にんじん、バナナ", "サメ、イルカ、マス"], "k": ["魚", "哺乳類", "果物"],
    "D": ["同社の第2四半期の売上は3億円で、前年比12%増となった。", "皆さん、金曜日はオフィスが閉まります。在宅勤務をお願いします。",
          "商品が壊れて届き、問い合わせにも返事がありません。とても残念です。"],
}

LANGS["zh"] = {
    "d": ["这篇文章", "下面这段文字", "这封邮件", "这份报告", "会议记录", "这份文件", "这段对话", "这一章", "这条新闻", "这份合同"],
    "l": ["英文", "西班牙语", "法语", "德语", "日语", "韩语", "意大利语", "葡萄牙语", "中文", "泰语", "越南语", "希腊语", "希伯来语", "俄语", "阿拉伯语", "土耳其语", "荷兰语"],
    "w": ["反转字符串的函数", "银行账户类", "读取CSV的脚本", "二分查找", "REST接口", "单元测试", "匹配日期的正则表达式"],
    "x": ["人名", "日期", "邮箱地址", "电话号码", "价格", "金额", "公司名称", "城市"],
    "c": ["正面还是负面", "是不是垃圾邮件", "紧急还是不紧急", "账单、技术或销售", "体育、政治或经济", "正式还是随意"],
    "t": ["今晚吃什么", "好看的电影", "怎么睡得更好", "去云南旅游", "中国历史", "猫", "学吉他", "周末安排"],
    "summarize": ["总结{d}。", "请帮我总结{d}。", "概括一下{d}的要点。", "用一句话概括{d}。", "{d}主要讲了什么？简单说说。",
                  "把{d}压缩成三点。", "{D}帮我总结一下。", "请总结以下内容：{D}", "给{d}写个摘要。", "{d}的核心内容是什么？"],
    "chat": ["你好！", "早上好，最近怎么样？", "你觉得{t}怎么样？", "聊聊{t}吧。", "关于{t}有什么建议？", "写一首关于{t}的诗。",
             "写一个关于{t}的故事。", "李白是谁？", "为什么会下雨？", "推荐一本书。", "谢谢你！", "讲个笑话。", "给我一些{t}的点子。"],
    "code": ["用{p}写{w}。", "用{p}实现{w}。", "{p}里怎么写{w}？", "修复这段{p}代码：\n{s}", "这个错误是什么意思：{e}",
             "我的{p}程序报错{e}，怎么解决？", "解释这段代码：\n{s}", "优化这个{p}函数。", "为什么我的{p}程序崩溃了？",
             "写一个统计订单数的SQL。", "调试这个脚本：\n{s}"],
    "reasoning": ["一辆车以每小时{a}公里行驶{b}小时，走了多远？", "{a}乘以{b}等于多少？", "解方程：{a}x + {b} = {n}。", "证明两个偶数之和是偶数。",
                  "掷骰子得到{a}的概率是多少？", "一步一步算：{a} + {b} × {n}", "{a}个工人要{b}天，{n}个工人要几天？", "{n}是质数吗？说明理由。",
                  "下一个数是什么：{a}，{b}，{n}？", "计算{n}的{a}%，写出过程。", "解这道逻辑题。"],
    "translate": ["把这个翻译成{l}。", "“谢谢”用{l}怎么说？", "翻译成{l}：明天见。", "把{d}翻译成{l}。", "我需要这段话的{l}翻译。",
                  "“{q}”是什么意思？", "{D}把它翻译成{l}。", "将以下内容翻译成{l}：{D}", "“图书馆”的{l}是什么？"],
    "extract": ["从{d}中提取{x}。", "把这段文字里的{x}找出来。", "找出{d}中的{x}。", "列出{d}提到的{x}。", "根据原文，公司是什么时候成立的？",
                "以JSON返回{x}。", "从段落中识别{x}。", "{D}提取{x}。", "根据这段文字，作者是谁？{D}"],
    "classify": ["把{d}分类为{c}。", "这条评论是{c}？", "给每条消息打标签：{c}。", "把这些工单分成{c}。", "这封邮件是垃圾邮件吗？",
                 "这条评论的情感是什么？", "下面哪个是{k}：{i}？", "把这些条目分成{c}。", "{D}这是{c}？"],
    "q": ["cheers", "deadline", "awesome"], "i": ["苹果、胡萝卜、香蕉", "鲨鱼、海豚、鳟鱼"], "k": ["鱼", "哺乳动物", "水果"],
    "D": ["该公司第二季度营收3亿元，同比增长12%。", "各位，周五办公室关闭，请在家办公。", "商品到货时是坏的，客服也不回复，非常失望。"],
}

LANGS["ko"] = {
    "d": ["이 기사", "다음 글", "이 이메일", "보고서", "회의록", "이 문서", "이 대화", "이 장", "이 뉴스", "계약서"],
    "l": ["영어", "스페인어", "프랑스어", "독일어", "일본어", "중국어", "이탈리아어", "포르투갈어", "한국어", "태국어", "베트남어", "그리스어", "히브리어", "러시아어", "아랍어", "터키어", "네덜란드어"],
    "w": ["문자열을 뒤집는 함수", "은행 계좌 클래스", "CSV를 읽는 스크립트", "이진 탐색", "REST API", "단위 테스트", "날짜 정규식"],
    "x": ["사람 이름", "날짜", "이메일 주소", "전화번호", "가격", "금액", "회사 이름", "도시"],
    "c": ["긍정 또는 부정", "스팸 여부", "긴급 여부", "결제, 기술, 영업", "스포츠, 정치, 경제", "격식체 또는 반말"],
    "t": ["오늘 저녁 메뉴", "좋은 영화", "잠을 잘 자는 법", "제주도 여행", "한국 역사", "고양이", "기타 배우기", "주말 계획"],
    "summarize": ["{d}를 요약해 줘.", "{d}를 요약해 주세요.", "{d}의 핵심을 정리해 줘.", "{d}를 한 문장으로 요약해.", "{d}의 요점이 뭐야?",
                  "{d}를 세 줄로 줄여 줘.", "{D}이거 요약해 줘.", "다음 내용을 요약해 주세요: {D}", "{d}의 개요를 알려줘.", "{d}를 간단히 정리해 주세요."],
    "chat": ["안녕하세요!", "좋은 아침이에요, 잘 지내요?", "{t}에 대해 어떻게 생각해?", "{t}에 대해 이야기하자.", "{t}에 대한 조언 좀 해 줘.",
             "{t}에 관한 시를 써 줘.", "{t}에 관한 이야기를 써 줘.", "세종대왕은 누구야?", "왜 비가 와?", "책 좀 추천해 줘.", "고마워요!",
             "농담 하나 해 줘.", "{t} 아이디어 좀 줘."],
    "code": ["{p}로 {w}를 작성해 줘.", "{p}로 {w}를 구현해 주세요.", "{p}에서 {w}는 어떻게 만들어?", "이 {p} 코드를 고쳐 줘:\n{s}",
             "이 에러는 무슨 뜻이야: {e}", "{p}에서 {e} 에러가 나요. 어떻게 고치죠?", "이 코드를 설명해 줘:\n{s}", "이 {p} 함수를 최적화해 줘.",
             "내 {p} 프로그램이 왜 죽어?", "주문 수를 세는 SQL 쿼리를 작성해 줘.", "이 스크립트를 디버깅해 줘:\n{s}"],
    "reasoning": ["시속 {a}km로 {b}시간 가면 몇 km야?", "{a} 곱하기 {b}는?", "{a}x + {b} = {n}을 풀어 줘.", "짝수 두 개의 합이 짝수임을 증명해.",
                  "주사위에서 {a}이 나올 확률은?", "단계별로 계산해: {a} + {b} × {n}", "{a}명이 {b}일 걸리는 일을 {n}명이 하면 며칠?",
                  "{n}은 소수야? 이유도.", "다음 수는? {a}, {b}, {n}", "{n}의 {a}%를 풀이 과정과 함께 계산해.", "이 논리 퍼즐을 풀어 줘."],
    "translate": ["이걸 {l}로 번역해 줘.", "\"감사합니다\"를 {l}로 뭐라고 해?", "{l}로 번역해: 내일 봐요.", "{d}를 {l}로 번역해 주세요.",
                  "이 글의 {l} 번역이 필요해.", "\"{q}\"가 무슨 뜻이야?", "{D}이걸 {l}로 옮겨 줘.", "다음을 {l}로 번역해 주세요: {D}", "\"도서관\"은 {l}로 뭐야?"],
    "extract": ["{d}에서 {x}을 추출해 줘.", "이 글에서 {x}을 뽑아 줘.", "{d}에서 {x}을 찾아 줘.", "{d}에 나오는 {x}을 나열해 줘.",
                "본문에 따르면 언제 설립됐어?", "{x}을 JSON으로 반환해.", "단락에서 {x}을 식별해 줘.", "{D}{x}을 추출해 줘.", "이 글에 따르면 저자는 누구야? {D}"],
    "classify": ["{d}를 {c}로 분류해 줘.", "이 리뷰는 {c}?", "각 메시지에 {c} 라벨을 붙여 줘.", "이 티켓들을 {c}로 나눠 줘.",
                 "이 메일은 스팸이야?", "이 댓글의 감정은?", "다음 중 {k}은 뭐야: {i}", "이 항목들을 {c}로 분류해.", "{D}이건 {c}?"],
    "q": ["cheers", "deadline", "awesome"], "i": ["사과, 당근, 바나나", "상어, 돌고래, 송어"], "k": ["물고기", "포유류", "과일"],
    "D": ["이 회사의 2분기 매출은 30억 원으로 전년 대비 12% 늘었다.", "여러분, 금요일에는 사무실이 닫습니다. 재택근무 부탁드립니다.",
          "상품이 깨져서 왔고 고객센터는 답이 없어요. 너무 실망했어요."],
}

# English in the styles of public instruction and benchmark sets (open and closed QA,
# brainstorming, creative writing, grade-school word problems, programming exercises).
NAMES = ["Maria", "James", "Aisha", "Kenji", "Olga", "Liam", "Priya", "Carlos", "Emma", "Noah", "Fatima", "Wei"]
ITEMS = ["apples", "marbles", "stickers", "books", "cookies", "eggs", "pencils", "cupcakes", "stamps", "shells"]
SUBJECTS = ["the Roman Empire", "Lake Tahoe", "the Apollo program", "the violin", "Marie Curie", "the Amazon river",
            "the printing press", "basketball", "the Great Barrier Reef", "jazz music", "the Eiffel Tower", "Bitcoin",
            "the human heart", "the Renaissance", "Mount Everest", "the Olympic Games", "Tesla", "the Beatles"]
LANGS["en"]["summarize"] += [
    "Given this paragraph about {S}, give me a short summary.{D}", "Summarize the key facts about {S} from this text.{D}",
    "From the reference text, write a brief summary of {S}.{D}", "What is this passage about? Answer in two sentences.{D}",
    "Give me a bulleted summary of this text about {S}.{D}", "Please summarize the main points of the following passage.{D}",
]
LANGS["en"]["chat"] += [
    "What is {S}?", "Tell me about {S}.", "Why is {S} famous?", "What are some interesting facts about {S}?",
    "Write a poem about {S}.", "Write a tweet about {S}.", "Give me five ideas for a blog post about {S}.",
    "What are the pros and cons of living in a big city?", "How do I become a better public speaker?",
    "Imagine you are a pirate captain. Introduce yourself.", "Pretend to be a tour guide in Rome.",
    "What are some good names for a golden retriever?", "Write a thank-you note to my teacher.",
    "What is the best way to save money?", "List some fun activities for a rainy day.",
    "Why do people like {S}?", "Which is better, tea or coffee?", "What should I pack for a beach holiday?",
    "How do airplanes stay in the air?", "What is the difference between weather and climate?",
    "Write a product description for a reusable water bottle.", "Compose an email inviting colleagues to a farewell lunch.",
    "Give me a recipe for banana bread.", "What would happen if the moon disappeared?", "Who won the 2010 World Cup?",
    "How many continents are there?", "Where is {S}?", "When was {S} created?",
]
LANGS["en"]["extract"] += [
    "Given this paragraph about {S}, when did it start?{D}", "From the passage provided, who is mentioned?{D}",
    "Based on this reference text about {S}, what is its size?{D}", "Using the text, list every year mentioned.{D}",
    "From the paragraph below, extract the names of the cities and separate them with commas.{D}",
    "According to the passage, how many people were involved?{D}", "Given the text, what did the study find?{D}",
    "Extract the key figures from this text in the format name: value.{D}", "{D}Based on the above, who is the CEO?",
    "Read the text and answer: what percentage was reported?{D}", "From the text, pull out {x} and put them in a list.{D}",
]
LANGS["en"]["classify"] += [
    "Which is a species of {k}: {j}?", "Identify which animal species is alive or extinct: Dodo, Lion.",
    "Classify each of the following as either a {k} or not: {i}.", "Which of these are {k}s and which are not: {i}?",
    "Tell me which of these are cities and which are countries: Paris, Peru, Oslo, Chad.",
    "Categorize each of these as hot or cold: ice, lava, snow, the sun.", "Is {S} a person, a place or a thing?",
    "Classify these movies as comedy or horror: Scream, Airplane!, It, Superbad.",
    "Sort these numbers into odd and even: 3, 8, 11, 20.", "Which of the following are primary colors: red, green, blue, yellow?",
    "Is the following statement an opinion or a fact?", "Label the following tweet's emotion: joy, anger, sadness or fear.",
]
LANGS["en"]["reasoning"] += [
    "{N} has {a} {I}. She buys {b} more and gives {m} to her friend. How many {I} does she have now?",
    "{N} earns ${a} per hour and works {b} hours a week. How much does {N} earn in 4 weeks?",
    "A bakery makes {n} cupcakes and sells them in boxes of {a}. How many full boxes can it fill?",
    "{N} is {a} years old. Her mother is {b} years older than three times her age. How old is her mother?",
    "If {N} reads {a} pages a day, how many days will a {n}-page book take?",
    "A farmer has {n} sheep. All but {a} run away. How many are left?",
    "{N} had {n} dollars, spent a third on food and half of the rest on books. How much is left?",
    "There are {a} birds on a tree. A hunter shoots one. How many birds are left on the tree?",
    "A bat and a ball cost {a} dollars and 10 cents together. The bat costs {a} dollars more than the ball. What does the ball cost?",
    "Which is heavier: a kilo of bricks or a kilo of feathers?", "If yesterday was Tuesday, what day is it in {a} days?",
    "{N} is taller than {M}, and {M} is taller than Sam. Who is the shortest?",
    "How many times does the digit 7 appear between 1 and {n}?", "If you flip a coin {a} times, what is the chance of all heads?",
    "A clock shows 3:15. What is the angle between the hands?", "What comes next in the sequence 1, 1, 2, 3, 5, 8?",
]
LANGS["en"]["code"] += [
    "Write a C++ program to find the nth {F}.", "Write a {p} program that prints the first {a} prime numbers.",
    "Write a {p} function that returns the {F}.", "def {f}(numbers: list) -> list:\n    \"\"\"Return the {F}.\"\"\"\n",
    "Complete this function:\n\nfunction {f}(arr) {\n  // TODO\n}", "Given an array of integers, return indices of two numbers that add up to a target. Use {p}.",
    "How do I read a file line by line in {p}?", "What is the time complexity of quicksort?", "What does `git rebase` do?",
    "How do I parse dates with pandas?", "Create an HTML form with a name and email field.", "Write a shell one-liner to count lines in all .py files.",
    "What's the difference between let and const in JavaScript?", "How do I use a HashMap in Java?",
]
LANGS["en"]["translate"] += [
    "Put this into {l} for me please: {Q}", "How would you say \"{Q}\" in {l}?", "{Q} -> {l}", "In {l}, please: {Q}",
    "Could you turn this into {l}? {Q}", "What is \"{Q}\" in {l}?", "I want to tell my friend \"{Q}\" in {l}.",
    "What's '{Q}' in {l}?", "How do you say '{Q}' in {l}?", "'{Q}' in {l}?", "How would I say '{Q}' in {l}?",
    "what's the {l} for '{Q}'", "How do I say \"{Q}\" in {l}?",
]
EN_SLOTS = {"N": NAMES, "M": NAMES, "I": ITEMS, "S": SUBJECTS,
            "j": ["Tope or Rope", "Salmon or Salmonella", "Bass or Base", "Carp or Card", "Cod or Code"],
            "F": ["Fibonacci number", "factorial of n", "largest element", "second smallest value",
                  "sum of the digits", "longest word", "median"],
            "f": ["has_close_elements", "sum_even", "longest_word", "rolling_max", "parse_nested"],
            "Q": ["I will be late tomorrow", "where is the nearest pharmacy", "happy birthday, my friend",
                  "the meeting has been moved", "can I pay by card", "this soup is delicious",
                  "I'm vegetarian", "I'm lost, can you help me", "I don't eat pork", "a table for two, please",
                  "how much is this", "I'd like the bill", "we're checking out tomorrow"]}
LANGS["en"].update(EN_SLOTS)

# Tools and logic in every language: version control, containers and build tools are code;
# syllogisms and "who is shortest" puzzles are reasoning.
TECH = ["git", "Docker", "Kubernetes", "npm", "webpack", "nginx", "PostgreSQL", "Redis", "the API", "the compiler",
        "the CI pipeline", "virtualenv", "a merge conflict", "the linker", "pip", "Maven", "Terraform", "the database schema"]
MORE = {
    "en": {"code": ["How do I fix {T}?", "{T} keeps failing, what should I check?", "How do I configure {T}?",
                    "Why does {T} give me an error?", "How do I undo a commit in git?", "My container exits right away."],
           "reasoning": ["If all A are B and some B are C, are some A necessarily C?",
                         "All roses are flowers. Some flowers fade quickly. Can we conclude that some roses fade quickly?",
                         "No fish can fly and some animals fly. Is any animal a fish?"]},
    "es": {"code": ["¿Cómo configuro {T}?", "{T} me da un error, ¿qué reviso?", "¿Cómo deshago un commit en git?"],
           "reasoning": ["Si todos los perros son animales y algunos animales nadan, ¿algunos perros nadan?",
                         "Ningún pez vuela y algunos animales vuelan. ¿Algún animal es pez?"]},
    "fr": {"code": ["Comment configurer {T} ?", "{T} renvoie une erreur, que vérifier ?", "Comment annuler un commit git ?"],
           "reasoning": ["Si tous les chats sont des animaux et que certains animaux volent, certains chats volent-ils ?",
                         "Aucun poisson ne vole et certains animaux volent. Un animal peut-il être un poisson ?"]},
    "de": {"code": ["Wie konfiguriere ich {T}?", "{T} wirft einen Fehler, was prüfe ich?", "Wie mache ich einen Git-Commit rückgängig?"],
           "reasoning": ["Wenn alle Hunde Tiere sind und einige Tiere schwimmen, schwimmen dann einige Hunde?",
                         "Kein Fisch fliegt und einige Tiere fliegen. Folgt daraus, dass ein Tier ein Fisch ist?"]},
    "pt": {"code": ["Como configuro {T}?", "{T} dá erro, o que verifico?", "Como desfaço um commit no git?"],
           "reasoning": ["Se todos os cães são animais e alguns animais nadam, alguns cães nadam?",
                         "Se nenhum gato voa e alguns animais voam, algum animal é gato?"]},
    "it": {"code": ["Come configuro {T}?", "{T} dà un errore, cosa controllo?", "Come annullo un commit su git?"],
           "reasoning": ["Se tutti i cani sono animali e alcuni animali nuotano, alcuni cani nuotano?",
                         "Nessun pesce vola e alcuni animali volano. Un animale può essere un pesce?"]},
    "ja": {"code": ["{T}の設定方法は？", "{T}でエラーが出ます。何を確認すればいい？", "gitでコミットを取り消すには？", "このコードのバグを教えて。"],
           "reasoning": ["すべての犬は動物で、ある動物は泳げる。ならば、ある犬は泳げるか？", "AはBより重く、CはAより重い。一番軽いのは？"]},
    "zh": {"code": ["{T}怎么配置？", "{T}报错了，该检查什么？", "git合并冲突怎么解决？"],
           "reasoning": ["所有的狗都是动物，有些动物会游泳，那么有些狗会游泳吗？", "甲比乙高，丙比甲高，谁最矮？"]},
    "ko": {"code": ["{T} 설정은 어떻게 해?", "{T}에서 에러가 나요. 뭘 확인해야 해?", "git에서 커밋을 취소하려면?"],
           "reasoning": ["모든 개는 동물이고 어떤 동물은 헤엄친다. 그러면 어떤 개는 헤엄치는가?", "A는 B보다 무겁고 C는 A보다 무겁다. 가장 가벼운 것은?"]},
}
for _lang, _tasks in MORE.items():
    LANGS[_lang]["T"] = TECH
    for _task, _frames in _tasks.items():
        LANGS[_lang][_task] += _frames

# Questions about pasted content: answering from the text is extraction in every language.
ASK = {
    "en": ["{D}What is the total amount?", "{D}Who wrote this and when?", "From this message, what time is the meeting?{D}",
           "{D}Which date is mentioned?", "In the text below, what's the reference number?{D}", "{D}Where is the office?",
           "According to this email, who should I contact?{D}", "Pull the key numbers out of this.{D}",
           "What phone number is given here?{D}", "{D}How much did revenue grow, according to the text?"],
    "es": ["{D}¿Cuál es el importe total?", "De este mensaje, ¿a qué hora es la reunión?{D}", "{D}¿Qué fecha se menciona?",
           "Según este correo, ¿con quién debo hablar?{D}", "Dime el número de referencia del texto.{D}"],
    "fr": ["{D}Quel est le montant total ?", "Dans ce message, à quelle heure est la réunion ?{D}", "{D}Quelle date est indiquée ?",
           "D'après ce courriel, qui dois-je contacter ?{D}", "Donne-moi le numéro de référence du texte.{D}"],
    "de": ["{D}Wie hoch ist der Gesamtbetrag?", "Um wie viel Uhr ist laut Nachricht das Treffen?{D}", "{D}Welches Datum wird genannt?",
           "Wen soll ich laut dieser E-Mail kontaktieren?{D}", "Nenne mir die Referenznummer aus dem Text.{D}"],
    "pt": ["{D}Qual é o valor total?", "Nesta mensagem, que horas é a reunião?{D}", "{D}Qual data aparece?",
           "Segundo este e-mail, com quem devo falar?{D}", "Me diz o número de referência do texto.{D}"],
    "it": ["{D}Qual è l'importo totale?", "In questo messaggio, a che ora è la riunione?{D}", "{D}Quale data viene citata?",
           "Secondo questa email, chi devo contattare?{D}", "Dammi il numero di riferimento del testo.{D}"],
    "ja": ["{D}合計金額はいくら？", "このメッセージによると会議は何時？{D}", "{D}どの日付が書かれていますか？",
           "このメールでは誰に連絡すればいい？{D}", "文中の番号を教えて。{D}"],
    "zh": ["{D}总金额是多少？", "根据这条消息，会议几点开始？{D}", "{D}里面提到了哪个日期？", "这封邮件说我该联系谁？{D}", "告诉我文中的编号。{D}"],
    "ko": ["{D}총 금액이 얼마야?", "이 메시지에 따르면 회의는 몇 시야?{D}", "{D}어떤 날짜가 나와 있어?", "이 메일에 따르면 누구에게 연락해야 해?{D}",
           "글에 나온 번호를 알려 줘.{D}"],
}
DOCS = {
    "en": ["Hi Sam, the kickoff is on Monday 12 May at 9:30 in room 4B. Ask for Priya at reception. Ref: KO-2291.",
           "Invoice 2025-118: 3 licences at $120 each, support $90, total $450, due 30 June."],
    "es": ["Hola Ana, la reunión es el lunes 12 de mayo a las 9:30 en la sala 4. Pregunta por Luis. Ref: R-2291."],
    "fr": ["Bonjour Paul, la réunion aura lieu lundi 12 mai à 9 h 30 en salle 4. Demandez Claire à l'accueil. Réf : R-2291."],
    "de": ["Hallo Jonas, das Treffen ist am Montag, 12. Mai, um 9:30 Uhr in Raum 4. Frag am Empfang nach Petra. Ref.: R-2291."],
    "pt": ["Oi Bia, a reunião é segunda, 12 de maio, às 9h30 na sala 4. Procure o Rui na recepção. Ref.: R-2291."],
    "it": ["Ciao Marco, la riunione è lunedì 12 maggio alle 9:30 in sala 4. Chiedi di Giulia alla reception. Rif.: R-2291."],
    "ja": ["山田様、打ち合わせは5月12日（月）9時30分、4階会議室です。受付で佐藤をお呼びください。番号：R-2291"],
    "zh": ["王先生您好，会议定于5月12日周一上午9:30在4号会议室召开，请到前台找李女士。编号：R-2291"],
    "ko": ["김 대리님, 회의는 5월 12일 월요일 오전 9시 30분 4번 회의실입니다. 안내 데스크에서 박 과장을 찾으세요. 번호: R-2291"],
}
for _lang, _frames in ASK.items():
    LANGS[_lang]["extract"] += _frames
    LANGS[_lang]["D"] += DOCS[_lang]

# More everyday phrasings per language (vocabulary the first frames lacked).
EVERYDAY = {
    "en": {"classify": ["Which genre is this headline?", "Which of these animals are birds: {i}?", "Decide if each sentence is sarcastic.",
                        "What type of document is this: invoice, letter or receipt?", "Put each word in the right group: {i}."],
           "chat": ["What are the must-see places in Barcelona?", "Any tips for my first marathon?", "Say something nice to cheer me up."]},
    "es": {"code": ["Encuentra el bug en este código.", "Mi programa da error al compilar.", "La función no devuelve nada, ¿por qué?",
                    "¿Cómo se usa async/await en {p}?", "Arregla esta consulta SQL."],
           "classify": ["¿De qué género es este titular?", "¿Cuáles de estos animales son aves: {i}?", "¿Esta frase es sarcástica?",
                        "¿Qué tipo de documento es este: factura, carta o recibo?"],
           "chat": ["¿Qué lugares hay que ver en Sevilla?", "¿Algún consejo para mi primer maratón?", "Dime algo bonito para animarme."]},
    "fr": {"code": ["Trouve le bug dans ce code.", "Mon programme ne compile pas.", "La fonction ne renvoie rien, pourquoi ?",
                    "Comment utiliser async/await en {p} ?", "Corrige cette requête SQL."],
           "classify": ["Quel est le genre de ce titre ?", "Lesquels de ces animaux sont des oiseaux : {i} ?", "Parmi ces mots, lesquels sont des verbes ?",
                        "Cette phrase est-elle sarcastique ?", "Quel type de document est-ce : facture, lettre ou reçu ?"],
           "chat": ["Quels sont les endroits à visiter à Marseille ?", "Des conseils pour mon premier marathon ?", "Dis-moi quelque chose de gentil."]},
    "de": {"code": ["Finde den Bug in diesem Code.", "Mein Programm kompiliert nicht.", "Die Funktion gibt nichts zurück, warum?",
                    "Wie benutze ich async/await in {p}?", "Korrigiere diese SQL-Abfrage."],
           "classify": ["Welches Genre hat diese Schlagzeile?", "Welche dieser Tiere sind Vögel: {i}?", "Ist dieser Satz sarkastisch?",
                        "Welche Art von Dokument ist das: Rechnung, Brief oder Quittung?"],
           "chat": ["Was sollte man in Hamburg gesehen haben?", "Tipps für meinen ersten Marathon?", "Sag mir etwas Nettes."],
           "summarize": ["Gib mir die Kernaussagen von {d}.", "Was steht im Wesentlichen in {d}?", "Fass mir {d} knapp zusammen."]},
    "pt": {"code": ["Ache o bug neste código.", "Meu programa não compila.", "A função não retorna nada, por quê?",
                    "Como usar async/await em {p}?", "Corrija esta consulta SQL."],
           "classify": ["Qual é o gênero desta manchete?", "Quais destes animais são aves: {i}?", "Essa frase é sarcástica?",
                        "Que tipo de documento é este: fatura, carta ou recibo?"],
           "chat": ["O que não posso deixar de ver no Rio?", "Dicas para minha primeira maratona?", "Me diz algo legal para me animar."],
           "summarize": ["Me dá a versão curta de {d}.", "Resume {d} pra mim.", "Qual a ideia central de {d}?"]},
    "it": {"code": ["Trova il bug in questo codice.", "Il mio programma non compila.", "La funzione non restituisce niente, perché?",
                    "Come si usa async/await in {p}?", "Correggi questa query SQL."],
           "classify": ["Di che genere è questo titolo?", "Quali di questi animali sono uccelli: {i}?", "Questa frase è sarcastica?",
                        "Che tipo di documento è: fattura, lettera o ricevuta?"],
           "chat": ["Cosa vedere assolutamente a Napoli?", "Consigli per la mia prima maratona?", "Dimmi qualcosa di carino."]},
    "ja": {"code": ["このコードのバグを見つけて。", "プログラムがコンパイルできません。", "関数が何も返さないのはなぜ？",
                    "{p}でasync/awaitはどう使う？", "このSQLを修正して。"],
           "classify": ["このニュースのジャンルは？", "次の動物のうち鳥はどれ：{i}", "この文は皮肉ですか？",
                        "これはどの種類の書類ですか：請求書、手紙、領収書", "この記事のカテゴリを判定して。"],
           "chat": ["大阪で見るべき場所はどこ？", "初めてのマラソンのコツは？", "元気が出ることを言って。", "何か楽しい話を聞かせて。"]},
    "zh": {"code": ["帮我找出这段代码的bug。", "我的程序编译不通过。", "这个函数为什么什么都不返回？", "{p}里async/await怎么用？", "改一下这条SQL。"],
           "classify": ["这条新闻属于什么类别？", "下面哪些动物是鸟类：{i}？", "这句话是讽刺吗？", "这是什么类型的文件：发票、信件还是收据？"],
           "chat": ["去上海必看的地方有哪些？", "第一次跑马拉松有什么建议？", "说点让我开心的话吧。"]},
    "ko": {"code": ["이 코드의 버그를 찾아 줘.", "프로그램이 컴파일이 안 돼.", "함수가 아무것도 반환하지 않아. 왜 그래?",
                    "{p}에서 async/await는 어떻게 써?", "이 SQL 쿼리를 고쳐 줘.", "코드가 작동을 안 해요."],
           "classify": ["이 뉴스의 장르는 뭐야?", "다음 동물 중 새는 어느 것: {i}", "이 문장은 비꼬는 말이야?", "이건 어떤 종류의 문서야: 청구서, 편지, 영수증"],
           "chat": ["부산에서 꼭 가 봐야 할 곳은?", "첫 마라톤 팁 좀 알려 줘.", "기운 나는 말 좀 해 줘."]},
}
for _lang, _tasks in EVERYDAY.items():
    for _task, _frames in _tasks.items():
        LANGS[_lang][_task] += _frames

# Bookings are chat: in Han and kana text 予約 (reserve) shares 約 with 要約 (summarize).
ERRANDS = {
    "ja": ["京都のホテルを2泊予約したい。", "東京のホテルを予約したい", "金曜日のローマ行きの便を探して。", "レストランを4人で予約したい。",
           "ソウル3日間の旅行プランを立てて。", "大阪に泊まるならどこがいい？"],
    "zh": ["我想预订京都的酒店住两晚。", "帮我订一张周五去罗马的机票。", "帮我预约四个人的餐厅。", "规划一个首尔三日游。"],
    "ko": ["교토 호텔을 2박 예약하고 싶어요.", "금요일 로마행 항공편 찾아 줘.", "식당 4명 예약하고 싶어.", "서울 3일 여행 일정 짜 줘."],
}
for _lang, _frames in ERRANDS.items():
    LANGS[_lang]["chat"] += _frames

TASKS = ("summarize", "chat", "code", "reasoning", "translate", "extract", "classify")


def _fill(frame: str, vals: dict, rng: random.Random) -> str:
    out = frame
    numbers = {"a": rng.randint(2, 60), "b": rng.randint(2, 30), "m": rng.randint(1, 9), "n": rng.randint(10, 999)}
    for key, number in numbers.items():
        out = out.replace("{" + key + "}", str(number))
    for key in ("d", "l", "w", "x", "c", "t", "q", "i", "k", "N", "M", "I", "S", "j", "F", "f", "Q", "T"):
        while "{" + key + "}" in out and key in vals:
            out = out.replace("{" + key + "}", rng.choice(vals[key]), 1)
    out = out.replace("{p}", rng.choice(PL), 1).replace("{p}", rng.choice(PL))
    out = out.replace("{e}", rng.choice(ERRORS)).replace("{s}", rng.choice(SNIPPETS))
    if "{D}" in out:
        doc = rng.choice(vals["D"])
        out = out.replace("{D}", "\n\n" + doc + "\n\n" if not out.startswith("{D}") else doc + "\n\n")
        out = out.strip()
    return out


def _vary(text: str, rng: random.Random) -> str:
    """Surface noise: case, a dropped final punctuation mark, a doubled or swapped letter."""
    roll = rng.random()
    if roll < 0.15:
        text = text.lower()
    elif roll < 0.22:
        text = text.rstrip(".?!。？！")
    if rng.random() < 0.12 and len(text) > 8:
        i = rng.randrange(1, len(text) - 1)
        if text[i].isalpha() and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def generate(per_frame: int = 3, seed: int = 7) -> list[dict]:
    """Rows {text, task, language}: each frame filled per_frame times."""
    rng = random.Random(seed)
    rows = []
    for lang, vals in LANGS.items():
        for task in TASKS:
            for frame in vals[task]:
                seen = set()
                for _ in range(per_frame):
                    text = _vary(_fill(frame, vals, rng), rng)
                    if text not in seen:
                        seen.add(text)
                        rows.append({"text": text, "task": task, "language": lang})
    return rows
