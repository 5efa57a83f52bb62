# language: sv
Egenskap: Indikerat stöd vid tydliga problem
  Strategin, avsnitt 4: "Insatser på indikerad nivå ges ofta individuellt till föräldrar vars barn
  visar tydliga tecken på att det finns problem, så som normbrytande beteende och/eller psykisk
  ohälsa. Detta stöd ges också till föräldrar som uppvisar ett stort behov av stöd."
  Presentationen 2022, indikerad nivå: Familjebehandling enligt beviljat beslut,
  Familjesamverkansteamet.

  @strategi-avsnitt-4
  Scenariomall: Behovet <behov> ger indikerat stöd
    Givet en familj i kommunen "<kommun>" med ett barn som är <ålder> månader
    Och behovet "<behov>"
    När stödet bedöms
    Så är högsta nivån "indikerad"
    Och rekommenderas insatsen "familjebehandling-beslut" på nivån "indikerad"
    Och rekommenderas minst en insats på nivån "universell"

    Exempel:
      | behov                    | kommun     | ålder |
      | normbrytande_beteende    | Lindesberg | 170   |
      | normbrytande_beteende    | Hallsberg  | 60    |
      | psykisk_ohalsa_barn      | Hällefors  | 150   |
      | psykisk_ohalsa_barn      | Kumla      | 200   |
      | stort_stodbehov_foralder | Örebro     | 3     |
      | beviljat_bistand         | Nora       | 100   |

  @strategi-avsnitt-4 @presentation-norra-lansdelen
  Scenario: Ett beviljat biståndsbeslut antas gälla familjebehandling enligt beslut
    Givet en familj i kommunen "Nora" med ett barn som är 100 månader
    Och behovet "beviljat_bistand"
    När stödet bedöms
    Så rekommenderas insatsen "familjebehandling-beslut" på nivån "indikerad"
    Och motiveringen för insatsen "familjebehandling-beslut" hänvisar till källan "presentation-2022"
    Och insatsen "familjebehandling-beslut" bygger på ett antagande
    Och insatsen "familjebehandling-beslut" finns i kommunen
    Och tillgången för insatsen "familjebehandling-beslut" bygger på "antagande"

  @strategi-avsnitt-4
  Scenario: Föräldrar med stort stödbehov får indikerat stöd redan under graviditeten
    Givet en familj i kommunen "Örebro" som väntar barn
    Och behovet "stort_stodbehov_foralder"
    När stödet bedöms
    Så är högsta nivån "indikerad"
    Och rekommenderas insatsen "familjesamverkansteam" på nivån "indikerad"
    Och rekommenderas insatsen "mvc" på nivån "universell"

  @strategi-avsnitt-4
  Scenario: Normbrytande beteende hos en tonåring ger både indikerat och universellt stöd
    Givet en familj i kommunen "Lindesberg" med ett barn som är 14 år
    Och behovet "normbrytande_beteende"
    När stödet bedöms
    Så rekommenderas insatsen "familjesamverkansteam" på nivån "indikerad"
    Och rekommenderas insatsen "abc-tonar" på nivån "universell"
    Och är rekommendationerna ordnade från universell till indikerad nivå

  @strategi-avsnitt-4
  Scenario: Två behov leder till samma insats – båda skälen visas
    Givet en familj i kommunen "Örebro" med ett barn som är 14 år
    Och behovet "normbrytande_beteende"
    Och behovet "psykisk_ohalsa_barn"
    När stödet bedöms
    Så rekommenderas insatsen "familjebehandling-beslut" på nivån "indikerad"
    Och insatsen "familjebehandling-beslut" rekommenderas på grund av behovet "normbrytande_beteende"
    Och insatsen "familjebehandling-beslut" rekommenderas på grund av behovet "psykisk_ohalsa_barn"
    Och rekommenderas varje insats bara en gång
