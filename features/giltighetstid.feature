# language: sv
Egenskap: Strategin gäller 2024–2030
  Strategins titel: "Regional strategi för föräldraskapsstöd 2024-2030". Reglerna som kodar
  strategin gäller från 1 januari 2024 till och med 31 december 2030.

  @strategi-titel
  Scenariomall: Stödet den <datum>
    Givet en familj i kommunen "Nora" med ett barn som är 10 månader
    Och att stödet bedöms den <datum>
    När stödet bedöms
    Så rekommenderas insatsen "bvc" på nivån "universell"

    Exempel:
      | datum      |
      | 2024-01-01 |
      | 2030-12-31 |

  @strategi-titel
  Scenariomall: Ingen regel ur strategin gäller den <datum>
    Givet en familj i kommunen "Nora" med ett barn som är 10 månader
    Och att stödet bedöms den <datum>
    När stödet bedöms
    Så rekommenderas inte insatsen "bvc"
    Och rekommenderas ingen insats på nivån "universell"

    Exempel:
      | datum      |
      | 2023-12-31 |
      | 2031-01-01 |
