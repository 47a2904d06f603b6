"""Every text the form shows, in Swedish (default) and English."""

from __future__ import annotations

from schemas import Category

LANGUAGES = ("sv", "en")

TEXTS: dict[str, tuple[str, str]] = {
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

# Plain-language hints: what counts as what, as a shop assistant would say it.
CATEGORY_TEXTS: dict[Category, tuple[tuple[str, str], tuple[str, str]]] = {
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


def text(key: str, lang: str, **values: object) -> str:
    sv, en = TEXTS[key]
    return (en if lang == "en" else sv).format(**values)
