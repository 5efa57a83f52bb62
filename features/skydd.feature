# language: sv
Egenskap: Barnets skydd mot våld och omsorgssvikt går först
  Strategin, avsnitt 2: "Föräldraskapsstöd är även viktigt för att barn ska få sina rättigheter
  tillgodosedda och exempelvis skyddas från våld och annan omsorgssvikt."
  Socialtjänstlagen: myndigheter vars verksamhet berör barn, deras anställda och yrkesverksamma
  inom bland annat hälso- och sjukvård, skola och socialtjänst ska genast anmäla till
  socialtjänsten om de misstänker att ett barn far illa (anmälningsskyldighet); andra kan och bör
  anmäla. Därför visas ett kritiskt meddelande före allt annat stöd. Socialtjänstlagen (2001:453)
  gällde till och med 30 juni 2025; från 1 juli 2025 gäller socialtjänstlagen (2025:400). Att
  kapitel och paragraf ännu inte är kontrollerade är en anteckning till redaktörerna i
  regelpaketet och visas inte för personalen.

  @strategi-avsnitt-2 @socialtjanstlagen
  Scenariomall: Tecken på våld eller omsorgssvikt vid <ålder> månader i <kommun>
    Givet en familj i kommunen "<kommun>" med ett barn som är <ålder> månader
    Och behovet "vald_eller_omsorgssvikt"
    När stödet bedöms
    Så kommer ett kritiskt meddelande först
    Och nämner det kritiska meddelandet "orosanmälan"
    Och är högsta nivån "indikerad"
    Och rekommenderas insatsen "familjebehandling-beslut" på nivån "indikerad"

    Exempel:
      | kommun    | ålder |
      | Karlskoga | 0     |
      | Nora      | 50    |
      | Örebro    | 216   |

  @strategi-avsnitt-2 @socialtjanstlagen
  Scenario: Det kritiska meddelandet kommer först även när andra behov finns
    Givet en familj i kommunen "Karlskoga" med ett barn som är 50 månader
    Och behovet "overvikt_fetma"
    Och behovet "relationsproblem_foraldrar"
    Och behovet "vald_eller_omsorgssvikt"
    När stödet bedöms
    Så kommer ett kritiskt meddelande först
    Och rekommenderas insatsen "overvikt-fetma" på nivån "selektiv"
    Och rekommenderas insatsen "bvc" på nivån "universell"

  @strategi-avsnitt-2 @socialtjanstlagen
  Scenario: Anmälningsskyldigheten gäller också när familjen väntar barn
    Givet en familj i kommunen "Askersund" som väntar barn
    Och behovet "vald_eller_omsorgssvikt"
    När stödet bedöms
    Så kommer ett kritiskt meddelande först
    Och nämner det kritiska meddelandet "socialtjänsten"

  @socialtjanstlagen
  Scenariomall: Meddelandet den <datum> hänvisar till lagen som gäller då
    Givet en familj i kommunen "Örebro" med ett barn som är 96 månader
    Och behovet "vald_eller_omsorgssvikt"
    Och att stödet bedöms den <datum>
    När stödet bedöms
    Så kommer ett kritiskt meddelande först
    Och nämner det kritiska meddelandet "<lag>"
    Och nämner det kritiska meddelandet "skyldiga"
    Och nämner det kritiska meddelandet "kan och bör anmäla"

    Exempel:
      | datum      | lag                                          |
      | 2025-03-01 | socialtjänstlagen (2001:453) 14 kap. 1 §     |
      | 2025-06-30 | socialtjänstlagen (2001:453)                 |
      | 2025-07-01 | socialtjänstlagen (2025:400)                 |
      | 2026-11-24 | socialtjänstlagen (2025:400):                |

  @strategi-avsnitt-2 @socialtjanstlagen
  Scenario: Anmälningsskyldigheten är lag och gäller också efter strategins slut
    Givet en familj i kommunen "Nora" med ett barn som är 50 månader
    Och behovet "vald_eller_omsorgssvikt"
    Och att stödet bedöms den 2031-06-01
    När stödet bedöms
    Så kommer ett kritiskt meddelande först

  @strategi-avsnitt-2
  Scenario: Utan tecken på våld eller omsorgssvikt kommer inget kritiskt meddelande
    Givet en familj i kommunen "Nora" med ett barn som är 50 månader
    Och behovet "konflikter_i_familjen"
    När stödet bedöms
    Så kommer inget kritiskt meddelande
