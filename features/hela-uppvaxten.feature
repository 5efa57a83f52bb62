# language: sv
Egenskap: Stöd under barnets hela uppväxt 0–18 år
  Strategin, avsnitt 5: "Alla föräldrar ska erbjudas stöd under barnets hela uppväxt."
  Målområde 1: ett kunskapsbaserat föräldraskapsstöd till alla föräldrar under barnets hela
  uppväxt. Åldrar i hela år, som man säger på svenska: "a–b år" = månaderna a·12 till b·12+11,
  högst 216. "Barn 3–12 år" omfattar alltså tolvåringar fram till 13-årsdagen (155 månader).

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
      | bvc              | 83    | Ljusnarsberg |
      | abc              | 36    | Örebro       |
      | abc              | 155   | Kumla        |
      | familjecentral   | 83    | Nora         |

  @strategi-avsnitt-3 @presentation-norra-lansdelen
  Scenariomall: Insatsen <insats> erbjuds inte vid <ålder> månader
    Givet en familj i kommunen "<kommun>" med ett barn som är <ålder> månader
    När stödet bedöms
    Så rekommenderas inte insatsen "<insats>"

    Exempel: Första månaden utanför åldersintervallet
      | insats           | ålder | kommun       |
      | utokade-hembesok | 19    | Lindesberg   |
      | bvc              | 84    | Ljusnarsberg |
      | abc              | 35    | Örebro       |
      | abc              | 156   | Kumla        |
      | familjecentral   | 84    | Nora         |
      | mvc              | 0     | Nora         |

  @strategi-avsnitt-3 @presentation-norra-lansdelen
  Scenario: En tolvåring (150 månader) får ABC 3–12 år, inte ABC Tonår
    Givet en familj i kommunen "Örebro" med ett barn som är 150 månader
    När stödet bedöms
    Så rekommenderas insatsen "abc" på nivån "universell"
    Och rekommenderas inte insatsen "abc-tonar"

  @strategi-avsnitt-5 @presentation-nasta-steg
  Scenario: En trettonåring (156 månader) får ABC Tonår, inte ABC 3–12 år
    Givet en familj i kommunen "Örebro" med ett barn som är 156 månader
    När stödet bedöms
    Så rekommenderas insatsen "abc-tonar" på nivån "universell"
    Och rekommenderas inte insatsen "abc"

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

  @presentation-kartlaggning
  Scenario: Programmen i länets kartläggning visas som program i länet, inte som rekommendationer
    Presentationen listar dem under "Kartläggning – Vilka program används i länet" och sedan
    "Arbetsgruppen analyserar resultat och kommer överens om program": de används i länet, men
    ingen källa rekommenderar dem till varje familj. ABC 3–12 år står på bilden över insatserna.
    Givet en familj i kommunen "Nora" med ett barn som är 4 år
    När stödet bedöms
    Så rekommenderas insatsen "abc" på nivån "universell"
    Och rekommenderas inte insatsen "icdp"
    Och rekommenderas inte insatsen "cope"
    Och rekommenderas inte insatsen "triple-p"
    Och visas programmet "icdp" bland programmen som används i länet
    Och visas programmet "cope" bland programmen som används i länet
    Och visas programmet "familjeverkstan" bland programmen som används i länet
