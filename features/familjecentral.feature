# language: sv
Egenskap: Familjecentral för blivande föräldrar och familjer med barn 0–6 år
  Strategin, målområde 2: "finnas tillgång till familjecentral i familjens närområde, minst en
  per kommun." Presentationen 2022: familjecentralen riktar sig till blivande vårdnadshavare,
  vårdnadshavare eller andra vuxna med barn 0-6 år.

  Bakgrund:
    Givet en familj i kommunen "Nora"

  @strategi-malomrade-2
  Scenario: Blivande föräldrar hänvisas till familjecentralen
    Givet att familjen väntar barn
    När stödet bedöms
    Så rekommenderas insatsen "familjecentral" på nivån "universell"
    Och motiveringen för insatsen "familjecentral" hänvisar till källan "strategi-2024"
    Och källan för insatsen "familjecentral" citerar "minst en per kommun"

  @strategi-malomrade-2
  Scenariomall: Familjecentralen vid <ålder> månader
    Givet att barnet är <ålder> månader
    När stödet bedöms
    Så rekommenderas insatsen "familjecentral" på nivån "universell"

    Exempel:
      | ålder |
      | 0     |
      | 24    |
      | 72    |

  @strategi-malomrade-2
  Scenario: Familjecentralen gäller inte efter sex år
    Givet att barnet är 84 månader
    När stödet bedöms
    Så rekommenderas inte insatsen "familjecentral"

  @strategi-malomrade-2 @presentation-norra-lansdelen
  Scenario: Familjecentralen finns i norra länsdelen
    Givet att barnet är 12 månader
    När stödet bedöms
    Så finns insatsen "familjecentral" i kommunen
