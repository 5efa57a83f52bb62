# language: sv
Egenskap: Strategin gäller 2024–2030
  Strategins titel: "Regional strategi för föräldraskapsstöd 2024-2030". Reglerna som kodar
  strategin gäller från 1 januari 2024 till och med 31 december 2030. Det som vilar på lag eller
  på nationella program (mödra- och barnhälsovården, anmälningsskyldigheten) är inte bundet till
  strategiperioden. Ett datum då strategins regler inte gäller ger ett varningsmeddelande, aldrig
  ett tyst tomt svar.

  @strategi-titel
  Scenariomall: Stödet den <datum>
    Givet en familj i kommunen "Nora" med ett barn som är 10 månader
    Och att stödet bedöms den <datum>
    När stödet bedöms
    Så rekommenderas insatsen "bvc" på nivån "universell"
    Och rekommenderas insatsen "utokade-hembesok" på nivån "universell"
    Och kommer inget varningsmeddelande

    Exempel:
      | datum      |
      | 2024-01-01 |
      | 2030-12-31 |

  @strategi-titel
  Scenariomall: Strategins regler gäller inte den <datum> – BVC gäller ändå
    Givet en familj i kommunen "Nora" med ett barn som är 10 månader
    Och att stödet bedöms den <datum>
    När stödet bedöms
    Så rekommenderas inte insatsen "utokade-hembesok"
    Och rekommenderas inte insatsen "icdp"
    Och rekommenderas insatsen "bvc" på nivån "universell"
    Och kommer ett varningsmeddelande som nämner "<varning>"

    Exempel:
      | datum      | varning               |
      | 2023-12-31 | gäller först från     |
      | 2031-01-01 | till och med 2030-12-31 |

  @strategi-titel @socialtjanstlagen
  Scenario: År 2031 kommer en varning och det som fortfarande gäller
    Givet en familj i kommunen "Karlskoga" med ett barn som är 50 månader
    Och behovet "vald_eller_omsorgssvikt"
    Och att stödet bedöms den 2031-06-01
    När stödet bedöms
    Så kommer ett kritiskt meddelande först
    Och nämner det kritiska meddelandet "2025:400"
    Och kommer ett varningsmeddelande som nämner "fortfarande gäller"
    Och rekommenderas insatsen "bvc" på nivån "universell"
    Och rekommenderas insatsen "familjebehandling-beslut" på nivån "indikerad"
    Och rekommenderas inte insatsen "abc"
