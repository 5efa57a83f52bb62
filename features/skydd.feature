# language: sv
Egenskap: Barnets skydd mot våld och omsorgssvikt går först
  Strategin, avsnitt 2: "Föräldraskapsstöd är även viktigt för att barn ska få sina rättigheter
  tillgodosedda och exempelvis skyddas från våld och annan omsorgssvikt."
  Socialtjänstlagen: den som i sitt arbete misstänker att ett barn far illa ska genast anmäla det
  till socialtjänsten (anmälningsskyldighet). Därför visas ett kritiskt meddelande före allt
  annat stöd.

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
