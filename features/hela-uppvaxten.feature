# language: sv
Egenskap: Stöd under barnets hela uppväxt 0–18 år
  Strategin, avsnitt 5: "Alla föräldrar ska erbjudas stöd under barnets hela uppväxt."
  Målområde 1: ett kunskapsbaserat föräldraskapsstöd till alla föräldrar under barnets hela
  uppväxt. Åldrar i år kodas som månader: "a–b år" = a·12 till b·12 månader, båda inräknade.

  @strategi-avsnitt-5 @strategi-malomrade-1
  Scenariomall: Universellt stöd vid varje ålder och under graviditeten i <kommun>
    Givet en familj i kommunen "<kommun>"
    Så erbjuds universellt stöd vid varje ålder från 0 till 216 månader
    Och erbjuds universellt stöd när familjen väntar barn

    Exempel:
      | kommun       |
      | Lekeberg     |
      | Laxå         |
      | Hallsberg    |
      | Degerfors    |
      | Hällefors    |
      | Ljusnarsberg |
      | Örebro       |
      | Kumla        |
      | Askersund    |
      | Karlskoga    |
      | Nora         |
      | Lindesberg   |

  @strategi-avsnitt-3 @presentation-norra-lansdelen
  Scenariomall: Insatsen <insats> erbjuds vid <ålder> månader
    Givet en familj i kommunen "<kommun>" med ett barn som är <ålder> månader
    När stödet bedöms
    Så rekommenderas insatsen "<insats>" på nivån "universell"

    Exempel: Sista månaden i åldersintervallet
      | insats           | ålder | kommun       |
      | utokade-hembesok | 0     | Nora         |
      | utokade-hembesok | 18    | Lindesberg   |
      | bvc              | 0     | Hällefors    |
      | bvc              | 72    | Ljusnarsberg |
      | abc              | 36    | Örebro       |
      | abc              | 144   | Kumla        |
      | familjecentral   | 72    | Nora         |

  @strategi-avsnitt-3 @presentation-norra-lansdelen
  Scenariomall: Insatsen <insats> erbjuds inte vid <ålder> månader
    Givet en familj i kommunen "<kommun>" med ett barn som är <ålder> månader
    När stödet bedöms
    Så rekommenderas inte insatsen "<insats>"

    Exempel: Första månaden utanför åldersintervallet
      | insats           | ålder | kommun       |
      | utokade-hembesok | 19    | Lindesberg   |
      | bvc              | 73    | Ljusnarsberg |
      | abc              | 35    | Örebro       |
      | abc              | 145   | Kumla        |
      | familjecentral   | 73    | Nora         |
      | mvc              | 0     | Nora         |

  @strategi-avsnitt-5 @presentation-nasta-steg
  Scenario: Föräldrar till tonåringar erbjuds ABC Tonår
    Givet en familj i kommunen "Karlskoga" med ett barn som är 15 år
    När stödet bedöms
    Så rekommenderas insatsen "abc-tonar" på nivån "universell"
    Och insatsen "abc-tonar" bygger på ett antagande
    Och rekommenderas inte insatsen "abc"

  @strategi-avsnitt-3 @presentation-norra-lansdelen
  Scenario: Blivande föräldrar erbjuds mödrahälsovård och föräldragrupp
    Givet en familj i kommunen "Hällefors" som väntar barn
    När stödet bedöms
    Så rekommenderas insatsen "mvc" på nivån "universell"
    Och rekommenderas insatsen "foraldragrupp-mvc-bvc" på nivån "universell"
    Och rekommenderas inte insatsen "bvc"
    Och insatsen "mvc" finns i kommunen
