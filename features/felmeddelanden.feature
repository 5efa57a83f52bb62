# language: sv
Egenskap: Begripliga felmeddelanden på svenska
  Kontraktet: okända kommuner, okända behovskoder och åldrar utanför 0–216 månader avvisas med ett
  meddelande på svenska som nämner fältet. Strategin gäller barn 0–18 år i Örebro läns kommuner.

  @kontrakt @strategi-avsnitt-2
  Scenariomall: Kommunen "<kommun>" finns inte i länet
    Givet en familj i kommunen "<kommun>" med ett barn som är 8 månader
    När stödet bedöms
    Så blir svaret ett fel som nämner fältet "kommun"
    Och innehåller felmeddelandet "okänd kommun"

    Exempel:
      | kommun    |
      | Göteborg  |
      | 1480      |
      | Västerås  |

  @kontrakt
  Scenario: En felstavad kommun får ett förslag
    Givet en familj i kommunen "Lindesbrg" med ett barn som är 8 månader
    När stödet bedöms
    Så blir svaret ett fel som nämner fältet "kommun"
    Och innehåller felmeddelandet "menade du"

  @kontrakt
  Scenario: En okänd behovskod avvisas
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    Och behovet "overvikt"
    När stödet bedöms
    Så blir svaret ett fel som nämner fältet "needs"
    Och innehåller felmeddelandet "okänd behovskod"

  @kontrakt @strategi-avsnitt-2
  Scenariomall: Åldern <ålder> månader ligger utanför 0–18 år
    Givet en familj i kommunen "Nora" med ett barn som är <ålder> månader
    När stödet bedöms
    Så blir svaret ett fel som nämner fältet "age_months"
    Och innehåller felmeddelandet "<text>"

    Exempel:
      | ålder | text          |
      | 217   | får vara högst 216 |
      | -1    | ska vara minst 0   |

  @kontrakt
  Scenario: Utan ålder och utan graviditet går det inte att bedöma stödet
    Givet en familj i kommunen "Nora"
    När stödet bedöms
    Så blir svaret ett fel som nämner fältet "age_months"
    Och innehåller felmeddelandet "ange barnets ålder"

  @kontrakt
  Scenario: En tom kommun avvisas
    Givet en familj i kommunen "" med ett barn som är 8 månader
    När stödet bedöms
    Så blir svaret ett fel som nämner fältet "kommun"
    Och innehåller felmeddelandet "får inte vara tom"
