# language: sv
Egenskap: Selektivt stöd till föräldrar i riskgrupper
  Strategin, avsnitt 4: "Selektiva insatser har fokus på att vända en negativ utveckling när det
  finns risk att utveckla problem. Det stödet ges därför till föräldrar som kan tillhöra en
  riskgrupp eller där det finns svårigheter för barnet som kan påverka barnets uppväxtvillkor och
  relationen till föräldrarna." Insatserna på selektiv nivå kommer från presentationens bild
  "Insatser i norra länsdelen utifrån preventionsnivå".

  @strategi-avsnitt-4 @presentation-norra-lansdelen
  Scenariomall: Behovet <behov> ger <insats>
    Givet en familj i kommunen "<kommun>" med ett barn som är <ålder> månader
    Och behovet "<behov>"
    När stödet bedöms
    Så är högsta nivån "selektiv"
    Och rekommenderas insatsen "<insats>" på nivån "selektiv"
    Och rekommenderas minst en insats på nivån "universell"

    Exempel:
      | behov                         | insats                  | kommun     | ålder |
      | foraldrar_separerade_konflikt | biff                    | Nora       | 96    |
      | foraldrar_separerade_konflikt | biff                    | Örebro     | 200   |
      | barn_som_anhorig              | barn-som-anhoriga       | Hällefors  | 60    |
      | barn_som_anhorig              | barn-som-anhoriga       | Askersund  | 150   |
      | overvikt_fetma                | overvikt-fetma          | Nora       | 96    |
      | overvikt_fetma                | overvikt-fetma          | Lekeberg   | 30    |
      | relationsproblem_foraldrar    | familjeradgivning       | Lindesberg | 12    |
      | konflikter_i_familjen         | familjebehandling-oppen | Ljusnarsberg | 120 |

  @strategi-avsnitt-4 @presentation-foraldraskap-i-sverige
  Scenariomall: Nyanlända föräldrar erbjuds Föräldraskap i Sverige i <kommun>
    Givet en familj i kommunen "<kommun>" med ett barn som är 40 månader
    Och behovet "nyanlanda_foraldrar"
    När stödet bedöms
    Så rekommenderas insatsen "foraldraskap-i-sverige" på nivån "selektiv"
    Och insatsen "foraldraskap-i-sverige" finns i kommunen

    Exempel:
      | kommun    |
      | Laxå      |
      | Karlskoga |
      | Örebro    |

  @strategi-avsnitt-4 @presentation-nasta-steg
  Scenario: Förälder med kognitiva svårigheter får anpassat stöd
    Givet en familj i kommunen "Degerfors" med ett barn som är 20 månader
    Och behovet "foralder_kognitiva_svarigheter"
    När stödet bedöms
    Så rekommenderas insatsen "stod-kognitiva-svarigheter" på nivån "selektiv"
    Och insatsen "stod-kognitiva-svarigheter" bygger på ett antagande

  @strategi-avsnitt-4 @presentation-norra-lansdelen
  Scenario: Flera riskfaktorer samtidigt ger alla de selektiva insatserna
    Givet en familj i kommunen "1884" med ett barn som är 8 år
    Och behovet "overvikt_fetma"
    Och behovet "foraldrar_separerade_konflikt"
    Och behovet "barn_som_anhorig"
    När stödet bedöms
    Så rekommenderas insatsen "overvikt-fetma" på nivån "selektiv"
    Och rekommenderas insatsen "biff" på nivån "selektiv"
    Och rekommenderas insatsen "barn-som-anhoriga" på nivån "selektiv"
    Och är högsta nivån "selektiv"

  @strategi-avsnitt-1
  Scenario: Blivande föräldrar med konflikter hemma når familjebehandling med öppen ingång
    Strategin, avsnitt 1: "Fortsättningsvis används begreppet ”föräldrar” rakt igenom strategin och
    avser blivande föräldrar, vårdnadshavare och andra viktiga vuxna." Att öppen ingång gäller också
    före barnets födelse är regionens bedömning.
    Givet en familj i kommunen "Nora" som väntar barn
    Och behovet "konflikter_i_familjen"
    När stödet bedöms
    Så insatsen "familjebehandling-oppen" rekommenderas på grund av behovet "konflikter_i_familjen"
    Och vilar rekommendationen av insatsen "familjebehandling-oppen" på regionens egen bedömning

  @strategi-avsnitt-1
  Scenariomall: Ett behov utan insats före barnets födelse tappas aldrig tyst (<behov>)
    Givet en familj i kommunen "Örebro" som väntar barn
    Och behovet "<behov>"
    När stödet bedöms
    Så rekommenderas inte insatsen "<insats>"
    Och kommer ett meddelande om behovet "<behov>" som nämner "före barnets födelse"
    Och kommer ett meddelande om behovet "<behov>" som nämner "socialtjänsten"

    Exempel:
      | behov                          | insats            |
      | foraldrar_separerade_konflikt  | biff              |
      | barn_som_anhorig               | barn-som-anhoriga |

  @presentation-norra-lansdelen
  Scenario: Riskfaktorer ger stöd som vilar på regionens egen bedömning
    Givet en familj i kommunen "Kumla" med ett barn som är 14 år
    Och behovet "oro_familjens_ekonomi"
    När stödet bedöms
    Så rekommenderas insatsen "familjebehandling-oppen"
    Och vilar rekommendationen av insatsen "familjebehandling-oppen" på regionens egen bedömning
