"""Every label and wording a person sees, in Swedish and English: one catalogue.

The form, the police feed's Open311 answers, the terminal tables, the report, the boards and what the command
line prints all take their words from here, so a category, a source or a verdict is called the same everywhere.
Each entry is (Swedish, English); Swedish is the default everywhere a person reads it, and the command line
says both (CLI). The `categories` table in the database holds the same category names for SQL readers (a test
keeps the two equal).
"""

from __future__ import annotations

from schemas import Category, SourceKind

Text = tuple[str, str]  # (Swedish, English)
LANGUAGES = ("sv", "en")

# --- categories: (name, a plain-language hint, as a shop assistant would say it) ---------------------------

CATEGORIES: dict[Category, tuple[Text, Text]] = {
    Category.shoplifting: (("Snatteri", "Shoplifting"),
                           ("Någon tog varor utan att betala.", "Someone took goods without paying.")),
    Category.theft: (("Stöld", "Theft"),
                     ("Något annat stals, till exempel en cykel eller en väska.",
                      "Something else was stolen, for example a bike or a bag.")),
    Category.burglary: (("Inbrott", "Burglary"),
                        ("Någon tog sig in i en lokal, ett förråd eller en bil.",
                         "Someone broke into premises, a storeroom or a car.")),
    Category.robbery: (("Rån", "Robbery"),
                       ("Någon tog något med våld eller hot om våld.", "Someone took something by force or threat.")),
    Category.drug_dealing: (("Narkotikahandel", "Drug dealing"),
                            ("Försäljning eller överlämning av narkotika.", "Selling or handing over drugs.")),
    Category.vandalism: (("Skadegörelse", "Vandalism"),
                         ("Något förstördes, till exempel en ruta eller en dörr.",
                          "Something was damaged, for example a window or a door.")),
    Category.graffiti: (("Klotter", "Graffiti"), ("Målat eller ritat på väggar eller skyltar.",
                                                  "Paint or tags on walls or signs.")),
    Category.threat: (("Hot", "Threat"), ("Någon blev hotad med ord eller gester.",
                                          "Someone was threatened with words or gestures.")),
    Category.violence: (("Våld", "Violence"), ("Någon blev slagen, knuffad eller skadad.",
                                               "Someone was hit, pushed or hurt.")),
    Category.harassment: (("Ofredande", "Harassment"), ("Någon blev trakasserad eller förföljd.",
                                                        "Someone was harassed or followed.")),
    Category.disturbance: (("Ordningsstörning", "Disturbance"),
                           ("Bråk, stök eller berusade personer som störde.",
                            "Fights, rowdiness or drunk people causing trouble.")),
    Category.other: (("Övrigt", "Other"), ("Något annat som gjorde platsen otrygg.",
                                           "Something else that made the place feel unsafe.")),
}

# --- who reported ----------------------------------------------------------------------------------------

SOURCES: dict[SourceKind, Text] = {
    SourceKind.shop: ("Butik", "Shop"),
    SourceKind.property_owner: ("Fastighetsägare", "Property owner"),
    SourceKind.school: ("Skola", "School"),
    SourceKind.police: ("Polisen", "Police"),
    SourceKind.municipality: ("Kommunen", "Municipality"),
}

# --- effect estimates -----------------------------------------------------------------------------------

VERDICTS: dict[str, Text] = {
    "clear_decrease": ("tydlig minskning", "clear decrease"),
    "clear_increase": ("tydlig ökning", "clear increase"),
    "no_clear_change": ("ingen tydlig förändring", "no clear change"),
    "too_few": ("för få händelser", "too few incidents"),
}
# Perceived safety (survey_estimates): the verdict is about the share feeling safe, so an increase is good news.
SAFETY_VERDICTS: dict[str, Text] = {
    "clear_increase": ("tydligt tryggare", "clearly safer"),
    "clear_decrease": ("tydligt otryggare", "clearly less safe"),
    "no_clear_change": ("ingen tydlig förändring", "no clear change"),
    "too_few": ("för få svarande", "too few respondents"),
}
# What an estimate compares (the terminal table's short words).
SCOPES: dict[str, Text] = {
    "agreement": ("området", "the area"),
    "control": ("kontrollområden", "control areas"),
    "relative": ("området mot kontroll", "area vs control"),
}
PERIODS: dict[str, Text] = {"before": ("före", "before"), "after": ("efter", "after")}
ALL_CATEGORIES: Text = ("alla kategorier", "all categories")
ALL_SOURCES: Text = ("alla källor", "all sources")
POLICE_ONLY: Text = ("endast polisen", "police only")

# --- the report form ------------------------------------------------------------------------------------

FORM: dict[str, Text] = {
    "title": ("Rapportera en händelse", "Report an incident"),
    "intro": (
        "Rapporten räknas i trygghetsöverenskommelsen för {agreement}. Den tar två minuter.",
        "The report is counted in the safety agreement for {agreement}. It takes two minutes.",
    ),
    "reporting_as": ("Du rapporterar som", "You report as"),
    "other_language": ("In English", "På svenska"),
    "pulse_legend": ("Hur trygg kändes platsen idag?", "How safe did the place feel today?"),
    "pulse_hint": (
        "Frivilligt, ett tryck räcker: 1 = mycket otrygg, 5 = mycket trygg. Svaret sparas bara som antal per plats "
        "och dag.",
        "Optional, one tap is enough: 1 = very unsafe, 5 = very safe. The answer is only stored as a count per "
        "place and day.",
    ),
    "pulse_thanks": ("Tack! Ditt svar om tryggheten är sparat.", "Thank you! Your answer about safety is saved."),
    "errors_title": ("Rätta följande:", "Please correct the following:"),
    "category": ("Vad hände?", "What happened?"),
    "when": ("När hände det?", "When did it happen?"),
    "when_hint": ("Nu är förvalt. Ändra om det hände tidigare.", "Now is preselected. Change it if it happened earlier."),
    "date": ("Datum", "Date"),
    "time": ("Klockslag", "Time"),
    "where": ("Var hände det?", "Where did it happen?"),
    "pin": ("På en annan plats inom området (ange koordinater)", "Somewhere else in the area (give coordinates)"),
    "lat": ("Latitud", "Latitude"),
    "lon": ("Longitud", "Longitude"),
    "count": ("Antal händelser (valfritt)", "Number of incidents (optional)"),
    "count_hint": ("Till exempel 3 om samma sak hände tre gånger.", "For example 3 if the same thing happened three times."),
    "loss": ("Uppskattad förlust i kronor (valfritt)", "Estimated loss in kronor (optional)"),
    "police": ("Har händelsen polisanmälts?", "Has it been reported to the police?"),
    "police_yes": ("Ja", "Yes"),
    "police_no": ("Nej", "No"),
    "police_unknown": ("Vet inte", "Don't know"),
    "police_reference": ("Polisens diarienummer (om ja, valfritt)", "Police reference number (if yes, optional)"),
    "note": ("Kort beskrivning (valfritt)", "Short description (optional)"),
    "note_warning": (
        "Skriv inte namn, personnummer, telefonnummer eller e-postadresser. "
        "Sådant tas bort automatiskt innan texten sparas.",
        "Do not write names, personal identity numbers, phone numbers or e-mail addresses. "
        "Such details are removed automatically before the text is stored.",
    ),
    "submit": ("Skicka rapporten", "Send the report"),
    "receipt_title": ("Tack! Rapporten är mottagen", "Thank you! The report has been received"),
    "receipt_reference": ("Ditt referensnummer", "Your reference"),
    "receipt_saved": (
        "Rapporten är sparad och räknas inom kort.", "The report is stored and will be counted shortly."
    ),
    "receipt_events": ("Antal händelser", "Number of incidents"),
    "report_another": ("Rapportera en till händelse", "Report another incident"),
    # Field errors
    "category_missing": ("Välj vad som hände.", "Choose what happened."),
    "category_unknown": ("Välj ett av alternativen.", "Choose one of the options."),
    "when_invalid": ("Ange datum och klockslag, till exempel 2024-05-01 och 14:30.",
                     "Give a date and a time, for example 2024-05-01 and 14:30."),
    "when_future": ("Tiden ligger i framtiden. Ange när det hände.", "The time is in the future. Give when it happened."),
    "when_too_old": ("Datumet är för tidigt (före år 2000).", "The date is too early (before 2000)."),
    "where_missing": ("Välj var det hände.", "Choose where it happened."),
    "pin_invalid": ("Ange latitud och longitud som tal, till exempel 63.8150 och 20.2950.",
                    "Give latitude and longitude as numbers, for example 63.8150 and 20.2950."),
    "pin_outside_sweden": ("Platsen ligger utanför Sverige.", "The place lies outside Sweden."),
    "pin_outside_agreement": ("Platsen ligger utanför överenskommelsens område.",
                              "The place lies outside the agreement's area."),
    "count_invalid": ("Ange ett heltal från 1 till {max_count}.", "Give a whole number from 1 to {max_count}."),
    "loss_invalid": ("Ange ett belopp i hela kronor, till exempel 450.", "Give an amount in kronor, for example 450."),
    "reference_without_report": ("Ange diarienummer bara om händelsen är polisanmäld.",
                                 "Give a reference only if it was reported to the police."),
    "reference_invalid": ("Diarienumret får bara innehålla bokstäver, siffror och - / .",
                          "The reference may only contain letters, digits and - / ."),
    "note_too_long": ("Texten är för lång (högst 500 tecken).", "The text is too long (at most 500 characters)."),
    # Refusals
    "unknown_title": ("Länken fungerar inte", "This link does not work"),
    "unknown_body": ("Länken är okänd. Kontrollera att du har kopierat hela länken, eller be samordnaren om en ny.",
                     "The link is unknown. Check that you copied all of it, or ask the coordinator for a new one."),
    "revoked_title": ("Länken är inte längre giltig", "This link is no longer valid"),
    "revoked_body": ("Länken har dragits tillbaka och kan inte användas för att rapportera. "
                     "Be samordnaren för trygghetsöverenskommelsen om en ny länk.",
                     "The link has been revoked and can no longer be used to report. "
                     "Ask the safety agreement's coordinator for a new link."),
    "forbidden_title": ("Du kan inte rapportera för den platsen", "You cannot report for that place"),
    "forbidden_body": ("Din länk gäller bara {partner}s egna platser i {agreement}. "
                       "Platsen du valde hör till en annan partner eller en annan överenskommelse, "
                       "så ingenting har sparats.",
                       "Your link only covers {partner}'s own places in {agreement}. "
                       "The place you chose belongs to another partner or another agreement, "
                       "so nothing was stored."),
    "expired_title": ("Formuläret har gått ut", "The form has expired"),
    "expired_body": ("Formuläret var för gammalt eller ändrat. Ingenting har sparats. Fyll i det igen.",
                     "The form was too old or had been altered. Nothing was stored. Please fill it in again."),
    "too_many_title": ("För många rapporter på kort tid", "Too many reports in a short time"),
    "too_many_body": ("Vänta en minut och försök sedan igen. Ingenting har sparats från det senaste försöket.",
                      "Wait a minute and try again. Nothing from the last attempt was stored."),
    "too_large_title": ("Rapporten är för stor", "The report is too large"),
    "too_large_body": ("Rapporten innehöll för mycket text. Korta beskrivningen och försök igen.",
                       "The report contained too much text. Shorten the description and try again."),
    "bad_request_title": ("Rapporten kunde inte läsas", "The report could not be read"),
    "bad_request_body": ("Skicka formuläret från sidan igen.", "Send the form from the page again."),
    "unavailable_title": ("Tjänsten är tillfälligt otillgänglig", "The service is temporarily unavailable"),
    "unavailable_body": ("Rapporten kunde inte sparas just nu. Ingenting har sparats. Försök igen om en stund.",
                         "The report could not be stored just now. Nothing was stored. Please try again shortly."),
    "back_to_form": ("Tillbaka till formuläret", "Back to the form"),
}

# --- the police feed's Open311 answers ------------------------------------------------------------------

OPEN311: dict[str, Text] = {
    "group": ("trygghet", "safety"),
    "received": ("Tack, rapporten är mottagen.", "Thank you, the report has been received."),
    "received_before": ("Rapporten var redan mottagen.", "The report had already been received."),
    "counted": ("registrerad i statistiken", "counted in the statistics"),
    "queued": ("mottagen", "received"),
}

# --- the report for partners without Grafana (trygg report) ---------------------------------------------

REPORT: dict[str, Text] = {
    "title": ("Rapport: {name}", "Report: {name}"),
    "meta": ("Trygghetsöverenskommelse i {municipality}, undertecknad {signed_at}. Före: {before_start} – "
             "{before_end}. Efter: {signed_at} – {after_end} (ett år före jämförs med upp till ett år efter).",
             "Safety agreement in {municipality}, signed {signed_at}. Before: {before_start} – {before_end}. "
             "After: {signed_at} – {after_end} (a year before is compared with up to a year after)."),
    "headline_agreement": ("Alla kategorier i avtalsområdet", "All categories in the agreement area"),
    "headline_control": ("Kontrollområdena (liknande områden utan avtal)",
                         "The control areas (similar areas without an agreement)"),
    "headline_relative": ("Avtalsområdet jämfört med kontrollområdena",
                          "The agreement area compared with the control areas"),
    "police_only": ("Endast polisens anmälningar:", "Police reports only:"),
    "reporting_rose": ("Partnerna rapporterade mer efter avtalet än före (fler aktiva rapportörer, eller fler "
                       "rapporter i förhållande till polisens). Fler rapporterande partner kan dölja en verklig "
                       "minskning.",
                       "The partners reported more after the agreement than before (more active reporters, or "
                       "more reports relative to the police's). More reporting partners can hide a real decrease."),
    "how_to_read_title": ("Så läser du intervallen", "How to read the intervals"),
    "how_to_read": (
        "Förändringen anges i procent med ett 95 %-intervall inom parentes. Intervallet visar hur stor "
        "osäkerheten är: antalet händelser varierar av sig självt från år till år, och med få händelser blir "
        "intervallet brett. Ligger hela intervallet under 0 % är det en tydlig minskning, ligger hela intervallet "
        "över 0 % är det en tydlig ökning. Går intervallet från minus till plus kan vi inte säga om det blivit "
        "bättre eller sämre. Kolumnen ”Jämfört med kontrollområdena” tar hänsyn till hur det gått i liknande "
        "områden utan avtal, så att en allmän ökning eller minskning i staden inte räknas som avtalets effekt. "
        "Antal under tre visas som ”<3”.",
        "The change is given in per cent with a 95 % interval in brackets. The interval shows how uncertain it "
        "is: the number of incidents varies by itself from year to year, and with few incidents the interval is "
        "wide. If the whole interval lies below 0 % it is a clear decrease, if it lies above 0 % a clear "
        "increase. If it runs from minus to plus we cannot say whether things got better or worse. The column "
        "“Compared with the control areas” takes similar areas without an agreement into account, so that a "
        "general rise or fall in the city is not counted as the agreement's effect. Counts below three are "
        "shown as “<3”."),
    "per_category": ("Förändring per kategori", "Change per category"),
    "charts": ("Diagram", "Charts"),
    "partners": ("Parter", "Partners"),
    "measures": ("Åtgärder", "Measures"),
    "measure": ("{description} (från {starts_on})", "{description} (from {starts_on})"),
    "controls": ("Kontrollområden: {names}.", "Control areas: {names}."),
    "privacy": ("Antal 1–2 visas som <3. Rapporten visar inga fritexter och inga exakta platser.",
                "Counts 1–2 are shown as <3. The report shows no free text and no exact places."),
    "chart_weekly": ("Händelser per vecka i avtalsområdet. Den röda linjen är dagen avtalet undertecknades; de "
                     "gröna markeringarna är när åtgärderna i listan nedan startade.",
                     "Incidents per week in the agreement area. The red line is the day the agreement was "
                     "signed; the green marks are when the measures listed below started."),
    "chart_before_after": ("Händelser per 30 dagar före och efter, per kategori. Strecket på efter-stapeln är "
                           "95 %-intervallet för förändringen. Kategorier med för få händelser visas inte.",
                           "Incidents per 30 days before and after, per category. The line on the after bar is "
                           "the 95 % interval of the change. Categories with too few incidents are not shown."),
    "chart_area_vs_control": ("Avtalsområdet och kontrollområdena, var för sig räknade som index där snittet "
                              "före avtalet = 100.",
                              "The agreement area and the control areas, each as an index where the mean "
                              "before the agreement = 100."),
    "chart_reporting": ("Rapporter per aktiv rapportör per källa, före och efter. Siffran över stapeln är "
                        "antalet aktiva rapportörer (under tre visas som <3).",
                        "Reports per active reporter per source, before and after. The number above the bar "
                        "is the number of active reporters (below three shown as <3)."),
    # The effect table's columns (also the labels of its cards on a phone).
    "col_category": ("Kategori", "Category"),
    "col_before": ("Före", "Before"),
    "col_after": ("Efter", "After"),
    "col_rates": ("Per 30 dagar före → efter", "Per 30 days before → after"),
    "col_change": ("Förändring i området (95 % intervall)", "Change in the area (95 % interval)"),
    "col_verdict": ("Bedömning", "Verdict"),
    "col_relative": ("Jämfört med kontrollområdena (95 % intervall)", "Compared with the control areas (95 % interval)"),
    "col_relative_verdict": ("Bedömning mot kontroll", "Verdict against control"),
    # Perceived safety (survey waves).
    "safety_title": ("Trygghet", "Perceived safety"),
    "safety_none": ("Inga enkätomgångar före och efter undertecknandet finns inlagda.",
                    "No survey waves before and after the signing have been loaded."),
    "safety_how_to_read": (
        "Andelen som känner sig trygga kommer från trygghetsmätningar (enkäter) i området och i kontrollområdena. "
        "Förändringen anges i procentenheter med ett 95 %-intervall som tar hänsyn till hur många som svarade. "
        "Ligger hela intervallet över 0 har tryggheten tydligt ökat. Andelar från för få svarande visas inte.",
        "The share feeling safe comes from safety surveys in the area and in the control areas. The change is "
        "given in percentage points with a 95 % interval that takes the number of respondents into account. If "
        "the whole interval lies above 0, perceived safety has clearly risen. Shares from too few respondents "
        "are not shown."),
    "chart_safety": ("Andel som känner sig trygga ute ensam sent en kväll, per enkätomgång, med 95 %-intervall. "
                     "Omgångar med för få svarande visas inte.",
                     "Share feeling safe outdoors alone late in the evening, per survey wave, with 95 % intervals. "
                     "Waves with too few respondents are not shown."),
    "safety_col_question": ("Fråga", "Question"),
    "safety_col_respondents": ("Svarande före / efter", "Respondents before / after"),
    "safety_col_shares": ("Trygga före → efter", "Safe before → after"),
    "safety_chart_title": ("Andel som känner sig trygga (enkät, 95 % intervall)",
                           "Share feeling safe (survey, 95 % interval)"),
    "safety_chart_axis": ("Trygga, %", "Safe, %"),
    # The charts (PNG files next to the page).
    "signed_on": ("Undertecknat {day}", "Signed {day}"),
    "weekly_series": ("Händelser per vecka", "Incidents per week"),
    "measure_starts": ("Åtgärd startar (nummer i listan)", "A measure starts (number in the list)"),
    "weekly_title": ("Händelser per vecka i {name}", "Incidents per week in {name}"),
    "weekly_axis": ("Antal händelser per vecka", "Incidents per week"),
    "interval": ("95 % intervall", "95 % interval"),
    "categories_title": ("Före och efter per kategori", "Before and after per category"),
    "per_30d_axis": ("Händelser per 30 dagar", "Incidents per 30 days"),
    "agreement_area": ("Avtalsområdet", "The agreement area"),
    "control_areas": ("Kontrollområden", "Control areas"),
    "control_title": ("Avtalsområdet jämfört med kontrollområden", "The agreement area compared with control areas"),
    "index_axis": ("Index per 4 veckor (före = 100)", "Index per 4 weeks (before = 100)"),
    "reporting_title": ("Rapporteringsaktivitet per källa (siffra = aktiva rapportörer)",
                        "Reporting activity per source (number = active reporters)"),
    "per_reporter_axis": ("Rapporter per aktiv rapportör", "Reports per active reporter"),
}

# --- the Grafana boards (trygg dashboards build) --------------------------------------------------------

# The Grafana boards' titles, descriptions and variable labels, and the column, series and cell words their
# queries return (trygg.boards.queries). The boards are shown in Swedish.
BOARD: dict[str, Text] = {
    # Dashboards, rows and annotations.
    "agreement_board": ("Trygghetsöverenskommelse: före och efter", "Safety agreement: before and after"),
    "municipality_board": ("Kommunöversikt: alla överenskommelser", "Municipality overview: all agreements"),
    "health_board": ("Pipeline: hälsa", "Pipeline: health"),
    "safety_row": ("Trygghet", "Perceived safety"),
    "annotations": ("Undertecknad och åtgärder", "Signing and measures"),
    "signed_event": ("Överenskommelsen undertecknades", "The agreement was signed"),
    "signed_tag": ("överenskommelse", "agreement"),
    "measure_event": ("Åtgärd", "Measure"),
    "measure_tag": ("åtgärd", "measure"),
    # `trygg grafana sync`: an agreement's own copy of the agreement board, and the team that may view it. The
    # team is found by this name again on every sync: a new wording would leave the old team behind.
    "agreement_copy": ("{name}: före och efter", "{name}: before and after"),
    "team": ("Överenskommelse {agreement}", "Agreement {agreement}"),
    # Variable labels, also the names of the columns showing the same thing.
    "agreement": ("Överenskommelse", "Agreement"),
    "category": ("Kategori", "Category"),
    "source": ("Källa", "Source"),
    "municipality": ("Kommun", "Municipality"),
    # The agreement board's panels.
    "headline_title": ("Förändring sedan undertecknandet (95 % konfidensintervall)",
                       "Change since the signing (95 % confidence interval)"),
    "headline_description": ("Händelser per 30 dagar efter jämfört med före, i området och jämfört med "
                             "kontrollområdena. Intervallet visar osäkerheten; se bedömningen.",
                             "Incidents per 30 days after compared with before, in the area and compared with the "
                             "control areas. The interval shows the uncertainty; see the verdict."),
    "effect_title": ("Effekt per kategori", "Effect per category"),
    "weekly_title": ("Händelser per vecka och kategori", "Incidents per week and category"),
    "before_after_title": ("Före och efter (händelser per 30 dagar)", "Before and after (incidents per 30 days)"),
    "area_vs_control_title": ("Området jämfört med kontrollområdena (index, före = 100)",
                              "The area compared with the control areas (index, before = 100)"),
    "reporting_title": ("Rapporteringsaktivitet per källa", "Reporting activity per source"),
    "reporting_description": ("Fler aktiva rapportörer efter undertecknandet kan dölja en verklig minskning.",
                              "More active reporters after the signing can hide a real decrease."),
    "police_vs_all_title": ("Endast polisens siffror jämfört med alla källor",
                            "Police figures only compared with all sources"),
    "map_title": ("Händelser per ruta (ca 250 m; rutor med färre än 3 visas inte)",
                  "Incidents per grid square (about 250 m; squares with fewer than 3 are not shown)"),
    "safety_table_title": ("Trygghet: andel som känner sig trygga, före och efter (95 % konfidensintervall)",
                           "Perceived safety: share feeling safe, before and after (95 % confidence interval)"),
    "safety_table_description": ("Enkätsvar (trygghetsmätning) i området och i kontrollområdena. Andelar från "
                                 "färre svarande än tröskeln visas inte; för få svarande ger ingen bedömning.",
                                 "Survey answers (safety survey) in the area and in the control areas. Shares "
                                 "from fewer respondents than the threshold are not shown; too few respondents "
                                 "give no verdict."),
    "safety_waves_title": ("Andel trygga per enkätomgång, området och kontrollområdena (%, med 95 % KI)",
                           "Share feeling safe per survey wave, the area and the control areas (%, with 95 % CI)"),
    # {question} is the form's own wording of the pulse question (FORM["pulse_legend"]).
    "pulse_title": ("Pulsfrågan i rapportformuläret: {question} (per månad)",
                    "The report form's pulse question: {question} (per month)"),
    "pulse_description": ("Svar 1–5 från partnernas platser; andel och medel visas först vid tillräckligt "
                          "många svar.",
                          "Answers 1–5 from the partners' places; share and mean are only shown once there are "
                          "enough answers."),
    # The municipality overview's panels.
    "overview_title": ("Effekt per överenskommelse (alla kategorier, 365 dagar före och efter)",
                       "Effect per agreement (all categories, 365 days before and after)"),
    "trend_title": ("Händelser per månad i varje överenskommelseområde", "Incidents per month in each agreement area"),
    # The pipeline health board's panels (operators).
    "ingest_title": ("Lagrade händelser per intervall och källa", "Stored events per interval and source"),
    "rejected_title": ("Avvisade händelser per orsak", "Rejected events per reason"),
    "delay_title": ("Fördröjning från händelse till lagring (median och 95:e percentil)",
                    "Delay from event to storage (median and 95th percentile)"),
    "last_event_title": ("Senaste händelse per källa", "Latest event per source"),
    "outbox_title": ("Utkorgen: mottagna händelser som ännu inte räknats", "Outbox: accepted events not yet counted"),
    "outbox_unsent": ("Ej skickade", "Not sent"),
    "outbox_oldest_unsent": ("Äldsta ej skickade (s)", "Oldest not sent (s)"),
    "outbox_unconfirmed": ("Skickade, ej räknade", "Sent, not counted"),
    "outbox_oldest_unconfirmed": ("Äldsta skickade, ej räknade (s)", "Oldest sent, not counted (s)"),
    "outbox_resent": ("Skickade igen", "Sent again"),
    # Column and series names the queries return.
    "comparison": ("Jämförelse", "Comparison"),
    "in_area": ("I området", "In the area"),
    "vs_control_areas": ("Jämfört med kontrollområdena", "Compared with the control areas"),
    "change": ("Förändring (95 % KI)", "Change (95 % CI)"),
    "change_in_area": ("Förändring i området (95 % KI)", "Change in the area (95 % CI)"),
    "verdict": ("Bedömning", "Verdict"),
    "change_vs_control": ("Jämfört med kontroll (95 % KI)", "Compared with control (95 % CI)"),
    "verdict_vs_control": ("Bedömning mot kontroll", "Verdict against control"),
    "before": ("Före", "Before"),
    "after": ("Efter", "After"),
    "before_per_30d": ("Före per 30 dagar", "Before per 30 days"),
    "after_per_30d": ("Efter per 30 dagar", "After per 30 days"),
    "before_per_30d_bar": ("Före (per 30 dagar)", "Before (per 30 days)"),
    "after_per_30d_bar": ("Efter (per 30 dagar)", "After (per 30 days)"),
    "area": ("Området", "The area"),
    "control_areas": ("Kontrollområdena", "The control areas"),
    "period": ("Period", "Period"),
    "active_reporters": ("Aktiva rapportörer", "Active reporters"),
    "reports": ("Rapporter", "Reports"),
    "reports_per_reporter": ("Rapporter per aktiv rapportör", "Reports per active reporter"),
    "sources": ("Källor", "Sources"),
    "incidents": ("Händelser", "Incidents"),
    "question": ("Fråga", "Question"),
    "safe_before": ("Trygga före (%)", "Safe before (%)"),
    "safe_after": ("Trygga efter (%)", "Safe after (%)"),
    "ci_low": ("95 % KI nedre", "95 % CI lower"),
    "ci_high": ("95 % KI övre", "95 % CI upper"),
    "answers": ("Svar", "Answers"),
    "share_safe": ("Trygga (4–5), %", "Safe (4–5), %"),
    "mean_answer": ("Medel (1–5)", "Mean (1–5)"),
    "signed": ("Undertecknad", "Signed"),
    "safety_in_area": ("Trygghet i området (95 % KI)", "Perceived safety in the area (95 % CI)"),
    "delay_median": ("median", "median"),
    "delay_p95": ("p95", "p95"),
    "last_stored": ("Senast lagrad", "Last stored"),
    "last_occurred": ("Senaste händelsen inträffade", "Latest event occurred"),
    # Words inside the cells: "-23 % (95 % KI -40 % till -2 %)", "+8 procentenheter (95 % KI +2 till +14)".
    "ci": ("95 % KI", "95 % CI"),
    "to": ("till", "to"),
    "percentage_points": ("procentenheter", "percentage points"),
}


# --- the effect tables in the terminal (trygg effect, trygg report) ------------------------------------

# The text tables of trygg.app.estimate_effect, shown in Swedish; the column widths are the table's.
TABLE: dict[str, Text] = {
    "heading": ("{name}: före {before_start}–{before_end}, efter {after_start}–{after_end}",
                "{name}: before {before_start}–{before_end}, after {after_start}–{after_end}"),
    "col_category": ("kategori", "category"),
    "col_comparison": ("jämförelse", "comparison"),
    "col_before": ("före", "before"),
    "col_after": ("efter", "after"),
    "col_before_per_30d": ("före/30 d", "before/30 d"),
    "col_after_per_30d": ("efter/30 d", "after/30 d"),
    "col_change": ("förändring (95 % KI)", "change (95 % CI)"),
    "col_verdict": ("bedömning", "verdict"),
    "activity_title": ("Rapporteringsaktivitet i området (en avtalsstart ökar ofta rapporteringen, vilket kan dölja "
                       "en verklig minskning)",
                       "Reporting activity in the area (the start of an agreement often raises reporting, which can "
                       "hide a real decrease)"),
    "col_period": ("period", "period"),
    "col_source": ("källa", "source"),
    "col_active_reporters": ("aktiva rapportörer", "active reporters"),
    "col_reports": ("rapporter", "reports"),
    "col_per_reporter": ("per rapportör", "per reporter"),
    "safety_none": ("Trygghet: inga enkätomgångar före och efter undertecknandet.",
                    "Perceived safety: no survey waves before and after the signing."),
    "safety_title": ("Trygghet (andel som känner sig trygga; enkätsvar före och efter undertecknandet)",
                     "Perceived safety (share feeling safe; survey answers before and after the signing)"),
    "col_question": ("fråga", "question"),
    "col_respondents": ("svarande", "respondents"),
    "col_mean": ("medelvärde (95 % KI)", "mean (95 % CI)"),
    "mean_change": ("{change:+.2f} ({low:+.2f} till {high:+.2f})", "{change:+.2f} ({low:+.2f} to {high:+.2f})"),
}


# --- the command line (trygg ...) -----------------------------------------------------------------------

# What the commands print to an operator and their --help. The command line says everything in both
# languages, Swedish first: "svenska / English" (once when the two are the same; see both()). A value too long
# to say twice (a path, an address, a list, an error's own text, a token) is not in the entry: the command
# prints it once, after the two, mostly after a colon ("skrev / wrote: FILE"). Machine-readable output
# (--json) has no words from here.
CLI: dict[str, Text] = {
    # Said by many commands.
    "error": ("fel", "error"),
    "wrote": ("skrev", "wrote"),
    "log": ("logg", "log"),
    "topics": ("topics", "topics"),
    "active": ("aktiv", "active"),
    "revoked": ("återkallad", "revoked"),
    "none": ("inga", "none"),
    # trygg migrate, topics create, agreements load, counts.
    "migrations": ("migreringar", "migrations"),
    "nothing_to_do": ("inget att göra", "nothing to do"),
    "topics_created": ("topics skapade", "topics created"),
    "topics_none": ("inga (alla fanns redan)", "none (all existed)"),
    "agreements_invalid": ("fel: ingen giltig fil med överenskommelser", "error: not a valid agreements file"),
    "agreements_loaded": ("{agreements} överenskommelser inlästa (revision {revision})",
                          "{agreements} agreements loaded (revision {revision})"),
    "areas_recounted": ("omräknade områden", "areas recounted"),
    "col_area": ("område", "area"),
    "col_kind": ("typ", "kind"),
    "col_incidents": ("händelser", "incidents"),
    # trygg effect, trygg report.
    "unknown_category": ("okänd kategori {category!r}", "unknown category {category!r}"),
    "no_agreement": ("ingen överenskommelse {agreement!r}", "no agreement {agreement!r}"),
    "not_agreement_id": ("inget id för en överenskommelse (bokstäver, siffror och _.:- , först en bokstav eller "
                         "siffra)",
                         "not an agreement id (letters, digits and _.:- , first a letter or digit)"),
    # trygg grafana sync|invite.
    "grafana_credentials": ("fel: ange GRAFANA_TOKEN, eller GRAFANA_USER och GRAFANA_PASSWORD",
                            "error: set GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD"),
    "grafana_not_ready": ("Grafanas databas är inte klar än", "Grafana's database is not ok yet"),
    "grafana_synced": ("Grafana: {changed} ändrade, {unchanged} oförändrade",
                       "Grafana: {changed} changed, {unchanged} unchanged"),
    "grafana_changed": ("ändrad", "changed"),
    "grafana_datasource": ("datakälla", "data source"),
    "grafana_folder": ("mapp", "folder"),
    "grafana_permissions": ("behörigheter", "permissions"),
    "grafana_team": ("team", "team"),
    "grafana_board": ("tavla", "board"),
    "grafana_from_file": ("från fil", "from file"),
    "board_kept_changing": ("tavlan ändrades hela tiden medan den sparades ({attempts} försök)",
                            "the board kept changing while it was saved ({attempts} attempts)"),
    "no_team": ("fel: inget team för överenskommelsen {agreement}: kör `trygg grafana sync` först",
                "error: no team for agreement {agreement}: run `trygg grafana sync` first"),
    "invite_member": ("{email} är redan med i teamet", "{email} is already in the team"),
    "invite_added": ("{email} tillagd i teamet", "{email} added to the team"),
    "invite_new_user": ("ny användare, byt lösenordet vid första inloggningen; tillfälligt lösenord",
                        "new user, change the password at the first login; temporary password"),
    # trygg generate.
    "effect_expects": ("--effect väntar sig CATEGORY=CHANGE, fick {value!r}",
                       "--effect expects CATEGORY=CHANGE, got {value!r}"),
    "wrote_surveys": ("skrev {events} enkätomgångar och pulssvar", "wrote {events} survey waves and pulse answers"),
    "wrote_history": ("skrev {events} händelser och facit", "wrote {events} events and the truth"),
    # trygg partners issue|list|revoke.
    "qr_written": ("QR-kod sparad", "QR code written"),
    "token_or_partner": ("fel: ange ett tokenprefix eller --partner", "error: give a token prefix or --partner"),
    "not_a_partner": ("{partner} är inte partner i överenskommelsen {agreement}",
                      "{partner} is not a partner of agreement {agreement}"),
    "foreign_sites": ("inte platser som tillhör {partner} i {agreement}", "not sites of {partner} in {agreement}"),
    "prefix_too_short": ("ange minst de 6 första tecknen i token", "give at least the first 6 characters of the token"),
    "links_revoked": ("{revoked} länk(ar) återkallade", "{revoked} link(s) revoked"),
    "col_token": ("token", "token"),
    "col_partner": ("partner", "partner"),
    "col_agreement": ("avtal", "agreement"),
    "col_created": ("skapad", "created"),
    "col_status": ("status", "status"),
    "col_sites": ("platser", "sites"),
    # trygg agencies add|list|revoke.
    "scope_missing": ("fel: ange minst en --municipality eller --agreement",
                      "error: give at least one --municipality or --agreement"),
    "agency_token": ("myndighet {agency}: token (visas en gång, förvara den säkert)",
                     "agency {agency}: token (shown once, store it safely)"),
    "agency_revoked": ("myndighet {agency}: token återkallad", "agency {agency}: token revoked"),
    "agency_not_active": ("myndighet {agency}: ingen aktiv token", "agency {agency}: no active token"),
    "col_agency": ("myndighet", "agency"),
    "col_source": ("källa", "source"),
    "col_scope": ("omfattning", "scope"),
    # trygg import.
    "csv_columns_unknown": ("okända CSV-kolumner", "unknown CSV columns"),
    "csv_columns": ("kolumnerna är", "the columns are"),
    "agency_inactive": ("ingen aktiv myndighet {agency!r} (se `trygg agencies list`)",
                        "no active agency {agency!r} (see `trygg agencies list`)"),
    "broker_away": ("Kafka svarar inte", "Kafka is not answering"),
    "retrying": ("försöker igen om {wait:.0f} s", "retrying in {wait:.0f} s"),
    "saved_up_to": ("sparat t.o.m. rad {line}", "saved up to line {line}"),
    "import_done": ("Import klar: {accepted} godkända, {duplicates} dubbletter, {rejected} avvisade av {lines} "
                    "rader",
                    "Import done: {accepted} accepted, {duplicates} duplicates, {rejected} rejected of {lines} "
                    "lines"),
    "import_line": ("rad", "line"),
    "import_more": ("… och {more} till", "… and {more} more"),
    "import_summary": ("sammanfattning", "summary"),
    # trygg report.
    "report_page": ("rapport", "report"),
    # trygg surveys import.
    "surveys_queued": ("{rows} rader ({form}), {waves} omgångar köade för {topic} (reläet publicerar dem; en "
                       "omgång som importeras igen ersätter den gamla)",
                       "{rows} rows ({form}), {waves} waves queued for {topic} (the relay publishes them; a "
                       "re-imported wave replaces the old one)"),
    "respondents": ("{respondents} svarande", "{respondents} respondents"),
    "surveys_refused": ("ingenting importerat, {problems} problem", "nothing imported, {problems} problems"),
    "survey_row": ("rad", "row"),
    "survey_file": ("fil", "file"),
    # trygg up.
    "starting_broker": ("startar broker för Kafka-protokollet (Tansu)", "starting Kafka-protocol broker (Tansu)"),
    "starting_postgres": ("startar PostgreSQL", "starting PostgreSQL"),
    "data_directory": ("datakatalog", "data directory"),
    "migrations_applied": ("migreringar körda", "migrations applied"),
    "none_pending": ("inga väntande", "none pending"),
    "processor_started": ("strömprocessorn startad", "stream processor started"),
    "relay_started": ("outbox-reläet startat", "outbox relay started"),
    "form_started": ("rapportformuläret startat", "report form started"),
    "police_feed_started": ("polisflödet startat", "police feed started"),
    "agencies": ("myndigheter", "agencies"),
    "loading_agreements": ("läser in exempelöverenskommelser för Umeå", "loading sample agreements for Umeå"),
    "publishing": ("importerar {events} syntetiska händelserapporter ({months} månader) till {topic} som "
                   "trygg import gör",
                   "importing {events} synthetic incident reports ({months} months) to {topic} as trygg import does"),
    "queueing": ("köar {waves} syntetiska enkätomgångar och {pulses} pulssvar för {topic} (reläet publicerar "
                 "dem)",
                 "queueing {waves} synthetic survey waves and {pulses} pulse answers for {topic} (the relay "
                 "publishes them)"),
    "counted": ("räknade {stored:>6} av {expected} händelser", "counted {stored:>6} of {expected} events"),
    "demo_report": ("rapport för Ålidhem (för partner utan Grafana)",
                    "report for Ålidhem (for partners without Grafana)"),
    "open": ("öppna", "open"),
    "platform_runs": ("Plattformen kör", "The platform runs"),
    "read_model": ("läsmodell", "read model"),
    "processor_health": ("processorns hälsa", "processor health"),
    "report_form": ("rapportformulär", "report form"),
    "links": ("länkar", "links"),
    "demo_link": ("demolänk", "demo link"),
    "new_every_start": ("ny vid varje start", "new on every start"),
    "press_ctrl_c": ("Tryck Ctrl-C för att stoppa. En tjänst som dör startas om (det sägs här).",
                     "Press Ctrl-C to stop. A service that dies is restarted (said here)."),
    "stopping": ("stoppar…", "stopping…"),
    "stopped": ("stoppad.", "stopped."),
    "local_only": ("trygg up kör tjänster bara på 127.0.0.1, inte på {host}",
                   "trygg up runs services on 127.0.0.1 only, not {host}"),
    # trygg up's supervisor: the services it restarts (each {name} said in its half's language) and what it says.
    "service_broker": ("Kafka-brokern", "Kafka broker"),
    "service_processor": ("strömprocessorn", "stream processor"),
    "service_relay": ("outbox-reläet", "outbox relay"),
    "service_form": ("rapportformuläret", "report form"),
    "service_police_feed": ("polisflödet", "police feed"),
    "service_exited": ("{name} avslutades med {code}; ny start om {wait:.0f} s",
                       "{name} exited with {code}; restarting in {wait:.0f} s"),
    "service_not_running": ("{name} kör inte; ny start om {wait:.0f} s",
                            "{name} is not running; restarting in {wait:.0f} s"),
    "service_restarted": ("{name} startad igen", "{name} restarted"),
    "service_not_started": ("{name} startade inte igen", "{name} did not start again"),
    # --help: the commands and their options.
    "help_trygg": ("trygg: ett kommando framför varje åtgärd", "trygg: the one command in front of every operation"),
    "help_up": ("kör hela plattformen lokalt (broker, databas, processor, demodata)",
                "run the whole platform locally (broker, database, processor, demo data)"),
    "help_no_demo": ("hoppa över exempelöverenskommelserna och den syntetiska historiken",
                     "skip the sample agreements and synthetic history"),
    "help_migrate": ("kör väntande databasmigreringar (idempotent)",
                     "apply pending database migrations (idempotent)"),
    "help_topics": ("Kafka-topics", "Kafka topics"),
    "help_topics_create": ("skapa saknade topics (idempotent)", "create missing topics (idempotent)"),
    "help_worker": ("kör strömprocessorn", "run the stream processor"),
    "help_agreements": ("överenskommelser och deras områden", "agreements and their areas"),
    "help_agreements_load": ("läs in eller uppdatera överenskommelser från en GeoJSON FeatureCollection",
                             "load or update agreements from a GeoJSON FeatureCollection"),
    "help_schemas": ("JSON Schema för händelseformaten", "JSON Schemas of the event formats"),
    "help_schemas_export": ("skriv schemas/json/*.schema.json från modellerna",
                            "write schemas/json/*.schema.json from the models"),
    "help_counts": ("händelser per område hittills", "incidents per area so far"),
    "help_agreement_id": ("överenskommelsens id", "agreement id"),
    "help_dashboards": ("Grafana-tavlor som kod", "Grafana boards as code"),
    "help_dashboards_build": ("skriv dashboards/intern/*.json från trygg/boards",
                              "write dashboards/intern/*.json from trygg/boards"),
    "help_grafana": ("konfigurera en körande Grafana", "provision a running Grafana"),
    "help_grafana_sync": ("uppdatera datakälla och tavlor; per överenskommelse en mapp och ett team som får se "
                          "den",
                          "upsert data source and boards; per agreement a folder and a team that may view it"),
    "help_grafana_invite": ("lägg till en partners användare i en överenskommelses team",
                            "add a partner's user to an agreement's team"),
    "help_effect": ("före/efter-effekt av en överenskommelse, med 95 % intervall",
                    "before/after effect of an agreement, with 95 % intervals"),
    "help_category": ("bara den här kategorin (standard: alla kategorier tillsammans och var för sig)",
                      "only this category (default: all categories together and each)"),
    "help_source": ("bara händelser från den här källan (t.ex. police)",
                    "only incidents from this source (e.g. police)"),
    "help_gap_days": ("övergångsdagar som inte räknas, på båda sidor", "transition days excluded on both sides"),
    "help_effect_json": ("skriv JSON i stället för en tabell", "print JSON instead of a table"),
    "help_generate": ("skriv en syntetisk NDJSON-historik med känt facit",
                      "write a synthetic NDJSON incident history with a known truth"),
    "help_out": ("NDJSON-fil; facit hamnar i FILE.truth.json", "NDJSON file; the truth goes to FILE.truth.json"),
    "help_years": ("år av historik fram till i dag", "years of history ending today"),
    "help_effects": ("sann förändring från undertecknandet, t.ex. shoplifting=-0.3 (kan upprepas; all=-0.3 för "
                     "varje kategori)",
                     "true change from signing, e.g. shoplifting=-0.3 (repeatable; all=-0.3 for every category)"),
    "help_reporting_rise": ("ökning av partnernas rapportering i avtalsområden från undertecknandet, t.ex. 0.2",
                            "rise in partner reporting in agreement areas from signing, e.g. 0.2"),
    "help_sample_agreements": ("GeoJSON med överenskommelser (standard: Umeå-exemplet)",
                               "agreements GeoJSON (default: the Umeå sample)"),
    "help_survey_change": ("skriv också enkätomgångar och pulssvar till FILE.surveys.ndjson, med den här sanna "
                           "förändringen i andelen som känner sig trygga från undertecknandet, t.ex. 0.08 (+8 "
                           "procentenheter)",
                           "also write survey waves and pulse answers to FILE.surveys.ndjson, with this true change "
                           "in the share feeling safe from signing, e.g. 0.08 (+8 percentage points)"),
    "help_relay": ("publicera outboxen (godkända rapporter) till Kafka",
                   "publish the outbox (accepted reports) to Kafka"),
    "help_form": ("servera partnernas rapportformulär", "serve the partners' report form"),
    "help_partners": ("partnernas personliga rapportlänkar", "partners' personal report links"),
    "help_partners_issue": ("skapa en rapportlänk (skrivs ut en gång; bara dess hash sparas)",
                            "create a report link (printed once; only its hash is stored)"),
    "help_site": ("en av partnerns platser (kan upprepas; standard: alla)",
                  "a site of the partner (repeatable; default: all of them)"),
    "help_qr": ("skriv också ut länken som QR-kod i terminalen", "also print the link as a QR code in the terminal"),
    "help_qr_png": ("skriv också QR-koden som PNG-bild", "also write the QR code as a PNG image"),
    "help_partners_list": ("lista rapportlänkar (tokenprefix, partner, status)",
                           "list report links (token prefix, partner, status)"),
    "help_partners_revoke": ("återkalla en länk med dess tokenprefix, eller alla en partners länkar",
                             "revoke a link by its token prefix, or all links of a partner"),
    "help_police_feed": ("kör polisflödet (batch-endpoint och Open311)",
                         "run the police feed (batch endpoint and Open311)"),
    "help_agencies": ("myndigheters tokens för polisflödet", "agency tokens for the police feed"),
    "help_agencies_add": ("utfärda en bearer-token för en myndighet (ersätter dess gamla)",
                          "issue a bearer token for an agency (replaces its old one)"),
    "help_municipality": ("får rapportera för den här kommunen", "may report for this municipality"),
    "help_agency_agreement": ("får rapportera för den här överenskommelsens område",
                              "may report for this agreement's area"),
    "help_reporter": ("ett rapportör-id som dess händelser får ange utöver myndighetens eget id (t.ex. en "
                      "station)",
                      "a reporter id its events may carry besides the agency's own id (e.g. a station)"),
    "help_agencies_list": ("myndigheter och deras omfattning", "agencies and their scope"),
    "help_agencies_revoke": ("återkalla en myndighets token", "revoke an agency's token"),
    "help_import": ("fyll på med händelser från en CSV-, NDJSON- eller polis-NDJSON-fil (kan återupptas)",
                    "backfill events from a CSV, NDJSON or police NDJSON file (resumable)"),
    "help_import_format": ("standard: efter filändelsen", "default: by file suffix"),
    "help_import_agency": ("kontrollera varje händelse mot den här myndighetens omfattning",
                           "check each event against this agency's scope"),
    "help_import_report": ("vart sammanfattningen skrivs (standard PATH.summary.json)",
                           "where the summary goes (default PATH.summary.json)"),
    "help_report": ("effekttabell, PNG-diagram och en HTML-sida för en överenskommelse",
                    "effect table, PNG charts and an HTML page for one agreement"),
    "help_report_agreement": ("överenskommelsens id, t.ex. alidhem", "agreement id, e.g. alidhem"),
    "help_report_out": ("utmapp (standard: STATE_DIR/reports/<agreement id>/)",
                        "output folder (default: STATE_DIR/reports/<agreement id>/)"),
    "help_until": ("första dagen som inte tas med (YYYY-MM-DD; standard i dag, vars dag inte är slut)",
                   "first day not included (YYYY-MM-DD; default today, whose day is not over)"),
    "help_surveys": ("trygghetsenkäter", "perceived-safety surveys"),
    "help_surveys_import": ("importera enkätomgångar från CSV eller JSON (alla rader eller ingen)",
                            "import survey waves from CSV or JSON (all rows or none)"),
    "help_surveys_format": ("standard: från filnamnet (.json, annars CSV)",
                            "default: from the file name (.json, else CSV)"),
    "help_surveys_json": ("skriv utfallet som JSON", "print the outcome as JSON"),
}


def pick(entry: Text, lang: str = "sv") -> str:
    """The entry in `lang` ('sv' or 'en'; anything else gives Swedish)."""
    return entry[1] if lang == "en" else entry[0]


def category_label(category: Category | str | None, lang: str = "sv") -> str:
    """A category's name ('shoplifting' -> 'Snatteri'); None is every category together."""
    if category is None:
        return pick(ALL_CATEGORIES, lang).capitalize()
    return pick(CATEGORIES[Category(category)][0], lang)


def category_hint(category: Category | str, lang: str = "sv") -> str:
    return pick(CATEGORIES[Category(category)][1], lang)


def source_label(source: SourceKind | str, lang: str = "sv") -> str:
    """A source's name ('police' -> 'Polisen'); a value that is no source is shown as it is."""
    try:
        return pick(SOURCES[SourceKind(source)], lang)
    except ValueError:
        return str(source)


def verdict_label(verdict: str, lang: str = "sv") -> str:
    """An effect_estimates verdict in words ('clear_decrease' -> 'tydlig minskning'); KeyError for others."""
    return pick(VERDICTS[verdict], lang)


def safety_verdict_label(verdict: str, lang: str = "sv") -> str:
    """A survey_estimates verdict in words ('clear_increase' -> 'tydligt tryggare'); KeyError for others."""
    return pick(SAFETY_VERDICTS[verdict], lang)


def text(catalogue: dict[str, Text], key: str, lang: str = "sv", **values: object) -> str:
    """One entry of a catalogue section in `lang`, with its {placeholders} filled in; a value that is itself an
    entry (Swedish, English), such as a service's name, is said in `lang` too."""
    return pick(catalogue[key], lang).format(
        **{name: pick(value, lang) if isinstance(value, tuple) else value for name, value in values.items()})


def both(catalogue: dict[str, Text], key: str, **values: object) -> str:
    """One entry in both languages, "svenska / English" (said once when the two are the same), with its
    {placeholders} filled in: how the command line says everything."""
    swedish, english = (text(catalogue, key, lang, **values) for lang in LANGUAGES)
    return swedish if swedish == english else f"{swedish} / {english}"


def say(key: str, **values: object) -> str:
    """A line's words from CLI, as the command line prints them (both languages)."""
    return both(CLI, key, **values)


def cli_help(key: str) -> str:
    """A CLI entry for argparse's help= and description= (both languages; argparse reads % as a format)."""
    return say(key).replace("%", "%%")
