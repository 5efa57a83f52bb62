# language: sv
Egenskap: Föräldraskapsstöd på tre preventionsnivåer
  Strategin, avsnitt 4: "Föräldraskapsstöd ska erbjudas på fler arenor, nå alla grupper av
  föräldrar samt erbjudas på de tre preventionsnivåerna, universell, selektiv och indikerad nivå."
  Universella insatser erbjuds alla föräldrar. Selektiva och indikerade insatser läggs till
  ovanpå när det finns risk eller tydliga problem – det universella stödet finns alltid kvar.

  @strategi-avsnitt-4
  Scenario: En familj utan särskilda behov får bara universellt stöd
    Givet en familj i kommunen "Nora" med ett barn som är 8 månader
    När stödet bedöms
    Så är högsta nivån "universell"
    Och rekommenderas insatsen "bvc" på nivån "universell"
    Och rekommenderas ingen insats på nivån "selektiv"
    Och rekommenderas ingen insats på nivån "indikerad"
    Och kommer inget kritiskt meddelande

  @strategi-avsnitt-4 @presentation-norra-lansdelen
  Scenario: Selektivt stöd läggs till ovanpå det universella
    Givet en familj i kommunen "Nora" med ett barn som är 8 år
    Och behovet "overvikt_fetma"
    När stödet bedöms
    Så är högsta nivån "selektiv"
    Och rekommenderas insatsen "overvikt-fetma" på nivån "selektiv"
    Och rekommenderas insatsen "abc" på nivån "universell"

  @strategi-avsnitt-4
  Scenario: Indikerat stöd läggs till ovanpå det selektiva och det universella
    Givet en familj i kommunen "Lindesberg" med ett barn som är 10 år
    Och behovet "overvikt_fetma"
    Och behovet "psykisk_ohalsa_barn"
    När stödet bedöms
    Så är högsta nivån "indikerad"
    Och rekommenderas minst en insats på nivån "universell"
    Och rekommenderas insatsen "overvikt-fetma" på nivån "selektiv"
    Och rekommenderas insatsen "familjebehandling-beslut" på nivån "indikerad"
    Och är rekommendationerna ordnade från universell till indikerad nivå

  @strategi-avsnitt-4
  Scenario: En insats som flera regler pekar på visas bara en gång
    Givet en familj i kommunen "Nora" med ett barn som är 14 år
    Och behovet "normbrytande_beteende"
    Och behovet "psykisk_ohalsa_barn"
    Och behovet "beviljat_bistand"
    När stödet bedöms
    Så rekommenderas varje insats bara en gång
    Och rekommenderas insatsen "familjebehandling-beslut" på nivån "indikerad"

  @strategi-avsnitt-4 @strategi-malomrade-1
  Scenario: Varje rekommendation har en motivering och en källa
    Givet en familj i kommunen "Hällefors" med ett barn som är 4 år
    Och behovet "konflikter_i_familjen"
    Och behovet "stort_stodbehov_foralder"
    När stödet bedöms
    Så har varje rekommendation en svensk motivering och en källa
    Och motiveringen för insatsen "abc" hänvisar till källan "presentation-2022"
    Och källan för insatsen "abc" citerar "ABC (3-12 år)"

  @strategi-avsnitt-4 @presentation-norra-lansdelen
  Scenariomall: Presentationens insatser har rätt nivå
    Givet en familj i kommunen "Nora" med ett barn som är <ålder> månader
    Och behovet "<behov>"
    När stödet bedöms
    Så rekommenderas insatsen "<insats>" på nivån "<nivå>"

    Exempel:
      | ålder | behov                         | insats                   | nivå       |
      | 40    | overvikt_fetma                | overvikt-fetma           | selektiv   |
      | 100   | konflikter_i_familjen         | familjebehandling-oppen  | selektiv   |
      | 100   | relationsproblem_foraldrar    | familjeradgivning        | selektiv   |
      | 100   | barn_som_anhorig              | barn-som-anhoriga        | selektiv   |
      | 100   | foraldrar_separerade_konflikt | biff                     | selektiv   |
      | 100   | beviljat_bistand              | familjebehandling-beslut | indikerad  |
      | 100   | stort_stodbehov_foralder      | familjesamverkansteam    | indikerad  |
      | 100   | psykisk_ohalsa_barn           | familjebehandling-beslut | indikerad  |
